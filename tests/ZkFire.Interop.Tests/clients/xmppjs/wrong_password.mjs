// A wrong password is refused with a SASL failure (not-authorized), and the node keeps serving: the same account then
// logs in with the right password and gets a message from another user.
import { xml } from "@xmpp/client";
import { expect, run, within } from "./scenario.mjs";

run(async (ctx) => {
  const intruder = ctx.client(0, { name: "intruder", password: ctx.password(0) + "-wrong" });
  const refused = await within("the login to be refused", intruder.xmpp.start().then(() => null, (error) => error));
  expect(refused !== null, `logged in as ${intruder.jid} with a wrong password`);
  expect(refused.name === "SASLError", `login failed with ${refused}, expected a SASL failure`);
  const failure = intruder.saslFailure();
  expect(failure?.condition === refused.condition, `xmpp.js reported ${refused.condition}, the server sent ${JSON.stringify(failure)}`);
  const negotiation = intruder.negotiation();
  await intruder.stop();

  const owner = await ctx.online(0, { name: "owner" });
  const friend = await ctx.online(1, { name: "friend" });
  await friend.send(xml("message", { to: owner.jid, type: "chat" }, xml("body", {}, "still alive")));
  const message = await owner.waitFor("the message from the friend", (m) => m.is("message") && m.getChildText("body") === "still alive");
  expect(message.attrs.from === friend.jid, `message from ${message.attrs.from}, expected ${friend.jid}`);

  return {
    sasl: negotiation.sasl,
    mechanism: negotiation.mechanism,
    failure_namespace: failure.namespace,
    failure_condition: failure.condition,
    owner: owner.negotiation(),
  };
});
