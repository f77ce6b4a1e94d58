// Shared set-up for the xmpp.js interop scenarios, the counterpart of xmpp_scenario.py for slixmpp.
//
// Every scenario is run as `node <script> '<json args>'` and prints exactly one JSON line on stdout:
// {"ok": true, ...observations} or {"ok": false, "error": "..."}. Each client's traffic (every element it sent and
// received, stream headers aside) goes to stderr, so a failure shows the whole exchange.
// Arguments common to all scenarios:
//
//   host, port   c2s endpoint (STARTTLS; the node's certificate must be trusted, e.g. via NODE_EXTRA_CA_CERTS)
//   domain       the XMPP domain served
//   users        [{"username": ..., "password": ...}, ...] accounts that already exist
//   timeout      seconds for the whole scenario (default 30)
//
// Scenarios check what they observe themselves (expect) so that a failure names the broken expectation.

import os from "node:os";
import { client, xml } from "@xmpp/client";

const NS_SASL2 = "urn:xmpp:sasl:2";
const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND2 = "urn:xmpp:bind:0";
const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";

// A single wait; short enough that a stuck scenario still fails well inside the overall timeout.
export const STEP_TIMEOUT_MS = 10_000;

export class ScenarioFailure extends Error {}

export function expect(condition, message) {
  if (!condition) {
    throw new ScenarioFailure(message);
  }
}

/** Rejects with a ScenarioFailure naming `what` unless `promise` settles within `ms`. */
export async function within(what, promise, ms = STEP_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ScenarioFailure(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An xmpp.js client plus what it sent and received, so a scenario can wait for a stanza that arrived earlier. */
class RecordedClient {
  constructor(ctx, name, options) {
    this.name = name;
    this.transcript = [];
    this.errors = [];
    this.received = [];
    this.arrival = null;
    this.xmpp = client(options);
    // A scenario is one connection per client: an automatic reconnect would hide a server that drops the stream.
    this.xmpp.reconnect.stop();
    this.xmpp.on("element", (element) => {
      this.transcript.push(["in", element]);
      if (element.is("message") || element.is("presence")) {
        this.received.push(element);
        this.arrival?.();
      }
    });
    this.xmpp.on("send", (element) => this.transcript.push(["out", element]));
    // Without a listener an "error" event would crash the process instead of failing the scenario with a report.
    this.xmpp.on("error", (error) => this.errors.push(String(error?.message ?? error)));
    ctx.clients.push(this);
  }

  get jid() {
    return this.xmpp.jid?.toString() ?? null;
  }

  /** Connects, negotiates and resolves once the session is bound ("online"). */
  start() {
    return within(`${this.name} to come online`, this.xmpp.start());
  }

  send(element) {
    return this.xmpp.send(element);
  }

  /** An iq round trip; resolves with the result element, rejects on an error or a timeout. */
  request(stanza) {
    return this.xmpp.iqCaller.request(stanza, STEP_TIMEOUT_MS);
  }

  /** The first received message/presence matching `predicate`, each returned once, waiting up to `ms`. */
  async waitFor(what, predicate, ms = STEP_TIMEOUT_MS) {
    const deadline = Date.now() + ms;
    for (;;) {
      const index = this.received.findIndex(predicate);
      if (index >= 0) {
        return this.received.splice(index, 1)[0];
      }

      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new ScenarioFailure(
          `${this.jid ?? this.name}: timed out after ${ms} ms waiting for ${what}; received meanwhile: ` +
            this.received.map(String).join(", "),
        );
      }

      await new Promise((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.arrival = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.arrival = null;
    }
  }

  /**
   * How the client authenticated and bound, read from its own traffic rather than from xmpp.js internals:
   * sasl "SASL2" (XEP-0388 <authenticate/>) or "RFC 6120" (<auth/>), the mechanism it named, and bind "Bind 2"
   * (XEP-0386 <bind/> inline in <authenticate/> answered by <bound/> in <success/>) or "RFC 6120" (iq bind).
   */
  negotiation() {
    const sent = this.transcript.filter(([direction]) => direction === "out").map(([, element]) => element);
    const incoming = this.transcript.filter(([direction]) => direction === "in").map(([, element]) => element);
    const authenticate = sent.find((element) => element.is("authenticate", NS_SASL2));
    const auth = sent.find((element) => element.is("auth", NS_SASL));
    const success = incoming.find((element) => element.is("success", NS_SASL2));
    const inlineBind = authenticate?.getChild("bind", NS_BIND2) !== undefined;
    const bound = success?.getChild("bound", NS_BIND2) !== undefined;
    const iqBind = sent.some((element) => element.is("iq") && element.getChild("bind", NS_BIND) !== undefined);
    return {
      sasl: authenticate ? "SASL2" : auth ? "RFC 6120" : null,
      mechanism: (authenticate ?? auth)?.attrs.mechanism ?? null,
      bind: inlineBind && bound ? "Bind 2" : iqBind ? "RFC 6120" : null,
      authorization_identifier: success?.getChildText("authorization-identifier") ?? null,
    };
  }

  /** The SASL <failure/> the server sent, as {namespace, condition}, or null. */
  saslFailure() {
    const failure = this.transcript.find(
      ([direction, element]) => direction === "in" && element.is("failure") && [NS_SASL2, NS_SASL].includes(element.getNS()),
    )?.[1];
    const condition = failure?.getChildElements().find((child) => child.name !== "text" && child.name !== "additional-data");
    return failure ? { namespace: failure.getNS(), condition: condition?.name ?? null } : null;
  }

  tlsVersion() {
    // @xmpp/tls wraps node's TLSSocket; a plain socket has no protocol.
    return this.xmpp.socket?.socket?.getProtocol?.() ?? null;
  }

  /** Closes the stream and the socket; true when the server closed its side of the stream in time. */
  async stop() {
    if (this.xmpp.status === "offline") {
      return true;
    }

    try {
      await within(`${this.name} to stop`, this.xmpp.stop());
      return this.xmpp.status === "offline";
    } catch (error) {
      this.errors.push(`stop: ${error?.message ?? error}`);
      return false;
    }
  }

  dumpTranscript() {
    for (const [direction, element] of this.transcript) {
      process.stderr.write(`${this.name} ${direction === "in" ? "<<" : ">>"} ${element}\n`);
    }
    for (const error of this.errors) {
      process.stderr.write(`${this.name} error: ${error}\n`);
    }
  }
}

class Scenario {
  constructor(args) {
    this.args = args;
    this.host = args.host ?? "127.0.0.1";
    this.port = Number(args.port);
    this.domain = args.domain ?? "localhost";
    this.users = args.users ?? [];
    this.clients = [];
  }

  jid(index) {
    return `${this.users[index].username}@${this.domain}`;
  }

  password(index) {
    return this.users[index].password;
  }

  /**
   * A client for user `index`, set up as a normal modern client would be: a user agent naming the software and device
   * (XEP-0388 §2.5.1) and a resource, which xmpp.js sends as the Bind 2 tag or the RFC 6120 requested resource.
   */
  client(index, { name = `user${index}`, password = this.password(index), resource = "xmppjs" } = {}) {
    return new RecordedClient(this, name, {
      service: `xmpp://${this.host}:${this.port}`,
      domain: this.domain,
      username: this.users[index].username,
      password,
      resource,
      userAgent: xml(
        "user-agent",
        { id: globalThis.crypto.randomUUID() },
        xml("software", {}, "ZkFire interop tests (xmpp.js 0.14)"),
        xml("device", {}, os.hostname()),
      ),
      // xmpp.js' 2 s default per step is tight on a busy test machine.
      timeout: STEP_TIMEOUT_MS,
    });
  }

  /**
   * A client logged in as a typical client does: bound session, roster fetch, initial presence. It is then an
   * available resource (RFC 6121: a chat message to the bare JID goes only to those) and gets its offline messages.
   */
  async online(index, options) {
    const recorded = this.client(index, options);
    await recorded.start();
    await recorded.request(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
    await recorded.send(xml("presence"));
    // The server reflects initial presence to the sender's own resources; waiting for it keeps later steps from
    // racing the presence broadcast.
    await recorded.waitFor(
      "own initial presence",
      (p) => p.is("presence") && p.attrs.from === recorded.jid && p.attrs.type === undefined,
    );
    return recorded;
  }
}

/** Runs `scenario(ctx)`, prints its result as one JSON line and exits 0 on ok, 1 otherwise. */
export function run(scenario) {
  const args = JSON.parse(process.argv[2] ?? "{}");
  const ctx = new Scenario(args);
  const overall = Number(args.timeout ?? 30) * 1000;
  let result;
  within("the whole scenario", scenario(ctx), overall)
    .then(
      (observations) => {
        result = { ok: true, ...observations };
      },
      (error) => {
        result = {
          ok: false,
          error: error instanceof ScenarioFailure ? error.message : String(error?.stack ?? error),
        };
      },
    )
    .then(() => Promise.all(ctx.clients.map((recorded) => recorded.stop())))
    .finally(() => {
      for (const recorded of ctx.clients) {
        recorded.dumpTranscript();
      }
      process.stdout.write(JSON.stringify(result) + "\n");
      // A socket or timer xmpp.js left behind must not keep the process (and the test) waiting.
      process.exit(result.ok ? 0 : 1);
    });
}
