using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using ZkFire.Xmpp.Xml;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>What the roster setup had to do: nothing on a rerun with the same prefix and numbers.</summary>
/// <param name="Subscribes">Subscription requests sent (re-sent ones included).</param>
/// <param name="Approvals">Requests approved.</param>
/// <param name="Removed">Roster items of users outside the ring removed.</param>
/// <param name="Rounds">Roster gets of every unfinished user until all were complete.</param>
internal sealed record PresenceSetupReport(long Subscribes, long Approvals, long Removed, int Rounds, double Seconds);

/// <summary>
/// Makes every user's roster exactly its <see cref="ContactRing"/> contacts, each with subscription <c>both</c>, the
/// way a client would (RFC 6121 §3), so it works on any server: every user logs in and sends initial presence (a
/// subscription request reaches available resources), asks each contact that does not yet send it presence for it
/// (<c>subscribe</c>), approves its contacts' requests (<c>subscribed</c>) as they arrive and removes roster items of
/// anyone else (an earlier run with other numbers). Done when a roster get shows every user exactly its contacts,
/// all <c>both</c>. Not on any hot path: full XML parsing.
/// <para>
/// The two requests of a pair do not cross: the lower-numbered user asks first, the other once it has approved
/// (a round later). Crossing requests change both roster items from two sides at once, and a server that does not
/// serialise those updates loses one (ZkFire at f7a13b2 did: a user left with <c>to</c> while its contact shows
/// <c>both</c>). Every few rounds the requests still unanswered are sent again and approvals repeated, which repairs
/// such a loss.
/// </para>
/// </summary>
internal sealed class PresenceSetup(PresenceOptions options, ContactRing ring)
{
    private const int Concurrency = 8;
    private const string RosterNamespace = "jabber:iq:roster";
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    /// <summary>Every so many rounds a request still unanswered is sent again, in case one was dropped.</summary>
    private const int ResendEvery = 4;

    private long subscribes;
    private long approvals;
    private long removed;

    public async Task<PresenceSetupReport> RunAsync(CancellationToken interrupt)
    {
        var began = System.Diagnostics.Stopwatch.StartNew();
        var access = options.Access;
        var parallel = (CancellationToken token) => new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = token };
        if (access.Register)
        {
            await Console.Error.WriteLineAsync($"  setup: registering {ring.Users} accounts");
            await WithTimeoutAsync("registration", async token =>
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, ring.Users), parallel(token), async (i, ct) =>
                {
                    await using var connection = await XmppConnection.ConnectAsync(options.EndpointOf(i), access.Domain, ct);
                    await connection.RegisterAsync(options.UserName(i), access.Password, access.Tls, ct);
                });
                return true;
            }, interrupt);
        }

        var users = new SetupUser[ring.Users];
        try
        {
            var rounds = await WithTimeoutAsync("the roster setup", async token =>
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, ring.Users), parallel(token), async (i, ct) => users[i] = await LoginAsync(i, ct));
                return await ConvergeAsync(users, parallel(token));
            }, interrupt);
            return new PresenceSetupReport(subscribes, approvals, removed, rounds, began.Elapsed.TotalSeconds);
        }
        finally
        {
            await Parallel.ForEachAsync(users.Where(u => u is not null), parallel(CancellationToken.None), async (user, _) => await user.DisposeAsync());
        }
    }

    private async Task<T> WithTimeoutAsync<T>(string step, Func<CancellationToken, Task<T>> run, CancellationToken interrupt)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        timeout.CancelAfter(options.SetupTimeout);
        try
        {
            return await run(timeout.Token);
        }
        catch (OperationCanceledException) when (!interrupt.IsCancellationRequested)
        {
            throw new TimeoutException($"{step} did not finish within {options.SetupTimeout.TotalSeconds:0} s (--setup-timeout)");
        }
    }

    private async Task<SetupUser> LoginAsync(int index, CancellationToken ct)
    {
        var access = options.Access;
        var contacts = Enumerable.Range(0, ring.Contacts).Select(p => ring.Contact(index, p)).ToDictionary(Bare, c => c, StringComparer.OrdinalIgnoreCase);
        var connection = await XmppConnection.ConnectAsync(options.EndpointOf(index), access.Domain, ct);
        try
        {
            await connection.LoginAsync(options.UserName(index), access, resource: null, ct);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        var user = new SetupUser(this, connection, index, contacts);
        try
        {
            await user.SendAsync("<presence/>", ct);
            return user;
        }
        catch
        {
            await user.DisposeAsync();
            throw;
        }
    }

    /// <summary>Rounds of roster gets over the users not yet complete, acting on what each shows; returns the rounds taken.</summary>
    private async Task<int> ConvergeAsync(SetupUser[] users, ParallelOptions parallel)
    {
        var unfinished = Enumerable.Range(0, users.Length).ToList();
        for (var round = 1; ; round++)
        {
            var still = new ConcurrentBag<int>();
            await Parallel.ForEachAsync(unfinished, parallel, async (i, ct) =>
            {
                if (!await users[i].CheckAsync(resend: round % ResendEvery == 0, ct))
                {
                    still.Add(i);
                }
            });

            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  setup: round {round}: {users.Length - still.Count}/{users.Length} rosters complete (subscription requests {Volatile.Read(ref subscribes)}, approvals {Volatile.Read(ref approvals)}, removed {Volatile.Read(ref removed)})"));
            if (still.IsEmpty)
            {
                return round;
            }

            unfinished = [.. still];
            await Task.Delay(Recheck, parallel.CancellationToken);
        }
    }

    private string Bare(int user) => $"{options.UserName(user)}@{options.Access.Domain}";

    private static string BareOf(string jid)
    {
        var slash = jid.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? jid : jid[..slash];
    }

    /// <summary>One user's setup session: a reader answering the server, and roster checks sent beside it.</summary>
    private sealed class SetupUser : IAsyncDisposable
    {
        private readonly PresenceSetup setup;
        private readonly XmppConnection connection;
        private readonly int index;

        /// <summary>Contacts' bare JIDs and user numbers.</summary>
        private readonly Dictionary<string, int> contacts;
        private readonly SemaphoreSlim writing = new(1, 1);
        private readonly ConcurrentDictionary<string, TaskCompletionSource<Element>> pending = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource stop = new();
        private readonly Task reading;
        private Exception? failure;
        private int nextId;

        public SetupUser(PresenceSetup setup, XmppConnection connection, int index, Dictionary<string, int> contacts)
        {
            this.setup = setup;
            this.connection = connection;
            this.index = index;
            this.contacts = contacts;
            reading = Task.Run(ReadAsync, CancellationToken.None);
        }

        /// <summary>
        /// Gets the roster and acts on it: removes strangers, asks contacts not yet sending presence for it (in the
        /// order of the class comment, and again every few rounds); true when it is exactly the contacts, all <c>both</c>.
        /// </summary>
        public async Task<bool> CheckAsync(bool resend, CancellationToken ct)
        {
            var roster = await IqAsync("get", $"<query xmlns='{RosterNamespace}'/>", ct);
            var items = roster.Child("query", RosterNamespace)?.Elements("item").ToList() ?? [];
            var seen = new Dictionary<string, Element>(StringComparer.OrdinalIgnoreCase);
            var complete = true;
            foreach (var item in items)
            {
                var jid = item.GetAttribute("jid") ?? string.Empty;
                if (contacts.ContainsKey(jid))
                {
                    seen[jid] = item;
                    continue;
                }

                complete = false;
                await IqAsync("set", $"<query xmlns='{RosterNamespace}'><item jid='{XmppConnection.Escape(jid)}' subscription='remove'/></query>", ct);
                Interlocked.Increment(ref setup.removed);
            }

            foreach (var (contact, other) in contacts)
            {
                var item = seen.GetValueOrDefault(contact);
                var subscription = item?.GetAttribute("subscription") ?? "none";
                if (subscription == "both")
                {
                    continue;
                }

                complete = false;
                if (subscription is "none" or "to" && resend)
                {
                    // An approval this server lost (see the class comment); where there is no request, a pre-approval or nothing.
                    await SendAsync($"<presence to='{XmppConnection.Escape(contact)}' type='subscribed'/>", ct);
                }

                var asked = item?.GetAttribute("ask") == "subscribe";
                if (subscription is "none" or "from" && (index < other || subscription == "from") && (!asked || resend))
                {
                    await SendAsync($"<presence to='{XmppConnection.Escape(contact)}' type='subscribe'/>", ct);
                    Interlocked.Increment(ref setup.subscribes);
                }
            }

            return complete;
        }

        public async Task SendAsync(string xml, CancellationToken ct)
        {
            await writing.WaitAsync(ct);
            try
            {
                await connection.SendAsync(xml, ct);
            }
            finally
            {
                writing.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await reading;
            await connection.DisposeAsync();
            stop.Dispose();
            writing.Dispose();
        }

        private async Task<Element> IqAsync(string type, string payload, CancellationToken ct)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"ps{Interlocked.Increment(ref nextId)}");
            var answer = new TaskCompletionSource<Element>(TaskCreationOptions.RunContinuationsAsynchronously);
            pending[id] = answer;
            if (Volatile.Read(ref failure) is { } failed)
            {
                throw new XmppException($"the setup session of {connection.Jid} ended: {failed.Message}");
            }

            await SendAsync($"<iq type='{type}' id='{id}'>{payload}</iq>", ct);
            var reply = await answer.Task.WaitAsync(ct);
            return reply.GetAttribute("type") == "error" ? throw new XmppException($"IQ failed: {reply}") : reply;
        }

        /// <summary>Approves the contacts' subscription requests, acknowledges roster pushes and pings, and hands IQ answers to their callers.</summary>
        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    var element = await connection.ReadElementAsync(stop.Token);
                    var type = element.GetAttribute("type");
                    var id = element.GetAttribute("id");
                    switch (element.Name)
                    {
                        case "presence" when type == "subscribe" && BareOf(element.GetAttribute("from") ?? string.Empty) is var from && contacts.ContainsKey(from):
                            await SendAsync($"<presence to='{XmppConnection.Escape(from)}' type='subscribed'/>", stop.Token);
                            Interlocked.Increment(ref setup.approvals);
                            break;
                        case "iq" when type is "result" or "error" && id is not null && pending.TryRemove(id, out var answer):
                            answer.TrySetResult(element);
                            break;
                        case "iq" when id is not null && (type == "set" && element.Child("query", RosterNamespace) is not null || type == "get" && element.Child("ping", "urn:xmpp:ping") is not null):
                            await SendAsync($"<iq type='result' id='{XmppConnection.Escape(id)}'/>", stop.Token);
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is XmppException or IOException or SocketException or XmlStreamException or ObjectDisposedException)
            {
                Volatile.Write(ref failure, e);
                foreach (var waiting in pending.Values)
                {
                    waiting.TrySetException(new XmppException($"the setup session of {connection.Jid} ended: {e.Message}"));
                }
            }
        }
    }
}
