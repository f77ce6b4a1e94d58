// Logs in the way xmpp.js chooses (SASL2 with Bind 2 when the server offers them, else RFC 6120 SASL and iq bind) and
// comes online (roster get, initial presence), proves the bound session works with a round trip to the server
// (XEP-0199 ping) and one through routing (a chat message to its own full JID), then closes the stream. Reports how
// it negotiated; the caller asserts which profile.
import { xml } from "@xmpp/client";
import { expect, run } from "./scenario.mjs";

run(async (ctx) => {
  const alice = await ctx.online(0);
  const jid = alice.jid;
  expect(jid?.startsWith(ctx.jid(0) + "/"), `bound ${jid}, expected a resource of ${ctx.jid(0)}`);

  const pong = await alice.request(xml("iq", { type: "get", to: ctx.domain }, xml("ping", { xmlns: "urn:xmpp:ping" })));
  expect(pong.attrs.type === "result", `ping answered with ${pong}`);

  const body = `to myself ${globalThis.crypto.randomUUID()}`;
  await alice.send(xml("message", { to: jid, type: "chat" }, xml("body", {}, body)));
  const echo = await alice.waitFor("the message to myself", (m) => m.is("message") && m.getChildText("body") === body);
  expect(echo.attrs.from === jid, `message to myself came from ${echo.attrs.from}, expected ${jid}`);

  const tlsVersion = alice.tlsVersion();
  const negotiation = alice.negotiation();
  const cleanStop = await alice.stop();
  expect(cleanStop, "the stream did not close cleanly: " + alice.errors.join("; "));
  return { ...negotiation, bound_jid: jid, tls_version: tlsVersion, ping: true, self_message: true, clean_stop: cleanStop };
});
