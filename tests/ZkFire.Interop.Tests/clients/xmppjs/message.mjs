// Two users log in and one sends the other chat messages, to the full and to the bare JID; both arrive from the
// sender's full JID. Reports how each client negotiated.
import { xml } from "@xmpp/client";
import { expect, run } from "./scenario.mjs";

run(async (ctx) => {
  const alice = await ctx.online(0, { name: "alice" });
  const bob = await ctx.online(1, { name: "bob" });

  for (const to of [bob.jid, ctx.jid(1)]) {
    const body = `hello ${to}`;
    await alice.send(xml("message", { to, type: "chat" }, xml("body", {}, body)));
    const message = await bob.waitFor(`the message to ${to}`, (m) => m.is("message") && m.getChildText("body") === body);
    expect(message.attrs.from === alice.jid, `message to ${to} came from ${message.attrs.from}, expected ${alice.jid}`);
  }

  return { alice: alice.negotiation(), bob: bob.negotiation() };
});
