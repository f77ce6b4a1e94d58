using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using ZkFire.Xmpp.Xml;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>One round: how long after the kill B saw A go unavailable.</summary>
internal sealed record CrashRound(int Pid, TimeSpan Unavailable, TimeSpan Rejoin);

internal sealed record CrashResult(CrashOptions Options, bool Encrypted, IReadOnlyList<CrashRound> Rounds);

/// <summary>
/// Kills the node user A is logged in to and measures how long user B, on another node and subscribed to A's
/// presence, takes to receive A's <c>unavailable</c> presence: the cluster's crash detection as a contact sees it.
/// </summary>
internal sealed class CrashProbe(CrashOptions options)
{
    private static readonly TimeSpan LoginRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PresenceRetry = TimeSpan.FromSeconds(3);

    public async Task<CrashResult> RunAsync(CancellationToken interrupt)
    {
        var access = options.Access;
        if (access.Register)
        {
            foreach (var name in new[] { options.UserA, options.UserB })
            {
                await using var connection = await XmppConnection.ConnectAsync(options.SurvivorEndpoint, access.Domain, interrupt);
                await connection.RegisterAsync(name, access.Password, access.Tls, interrupt);
            }
        }

        var rounds = new List<CrashRound>();
        var encrypted = false;
        for (var round = 1; round <= options.Repeat; round++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
            timeout.CancelAfter(options.Timeout);
            try
            {
                var (result, wasEncrypted) = await RoundAsync(rounds.LastOrDefault()?.Pid, timeout.Token);
                encrypted |= wasEncrypted;
                rounds.Add(result);
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round}: killed pid {result.Pid}; B saw A unavailable after {result.Unavailable.TotalMilliseconds:0} ms (A online {result.Rejoin.TotalSeconds:0.0} s after the round began)"));
            }
            catch (OperationCanceledException) when (!interrupt.IsCancellationRequested)
            {
                throw new TimeoutException($"round {round} did not finish within {options.Timeout.TotalSeconds:0} s");
            }
        }

        return new CrashResult(options, encrypted, rounds);
    }

    private async Task<(CrashRound Round, bool Encrypted)> RoundAsync(int? previousPid, CancellationToken ct)
    {
        var began = Stopwatch.StartNew();
        var pid = await VictimPidAsync(previousPid, ct);
        await using var b = await LoginAsync(options.SurvivorEndpoint, options.UserB, options.UserA, retry: false, ct);
        await using var a = await LoginAsync(options.VictimEndpoint, options.UserA, options.UserB, retry: true, ct);
        var rejoin = began.Elapsed;

        var aJid = a.Jid!;
        var aBare = Bare(aJid);
        var bBare = Bare(b.Jid!);
        var available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var unavailable = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readB = ReadAsync(b, aBare, presence =>
        {
            if (presence.GetAttribute("from") != aJid)
            {
                return;
            }

            switch (presence.GetAttribute("type"))
            {
                case null:
                    available.TrySetResult();
                    break;
                case "unavailable":
                    unavailable.TrySetResult(Stopwatch.GetTimestamp());
                    break;
            }
        }, stopReading.Token);
        var readA = ReadAsync(a, bBare, _ => { }, stopReading.Token);

        // Each asks for the other's presence and approves the other's request (answered at once when already granted).
        // Until B sees A, both say it again every few seconds, and the report says so: right after a node joins, the
        // first stanzas across a link that is still coming up can be missed.
        await Console.Error.WriteLineAsync($"  {aJid} on the victim (pid {pid}) and {b.Jid} on the survivor are online; waiting until B sees A available");
        for (var attempt = 0; !available.Task.IsCompleted; attempt++)
        {
            if (attempt > 0)
            {
                await Console.Error.WriteLineAsync($"  B has not seen A available after {attempt * PresenceRetry.TotalSeconds:0} s: subscription requests and initial presence sent again");
            }

            await a.SendAsync($"<presence to='{XmppConnection.Escape(bBare)}' type='subscribe'/><presence/>", ct);
            await b.SendAsync($"<presence to='{XmppConnection.Escape(aBare)}' type='subscribe'/><presence/>", ct);
            await Task.WhenAny(available.Task, Task.Delay(PresenceRetry, ct));
            ct.ThrowIfCancellationRequested();
        }

        long killedAt;
        using (var victim = Process.GetProcessById(pid))
        {
            victim.Kill();
            killedAt = Stopwatch.GetTimestamp();
        }

        var seenAt = await unavailable.Task.WaitAsync(ct);
        await stopReading.CancelAsync();
        await Task.WhenAll(readA, readB);
        return (new CrashRound(pid, Stopwatch.GetElapsedTime(killedAt, seenAt), rejoin), a.Encrypted || b.Encrypted);
    }

    /// <summary>The victim's pid: <c>--pid</c>, or the pid file once it names a live process other than the one killed last round.</summary>
    private async Task<int> VictimPidAsync(int? previousPid, CancellationToken ct)
    {
        if (options.Pid is { } pid)
        {
            return pid;
        }

        while (true)
        {
            if (File.Exists(options.PidFile) && int.TryParse((await File.ReadAllTextAsync(options.PidFile!, ct)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var read)
                && read != previousPid && IsAlive(read))
            {
                return read;
            }

            await Task.Delay(LoginRetry, ct);
        }
    }

    private static string Bare(string fullJid) => fullJid[..fullJid.IndexOf('/', StringComparison.Ordinal)];

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Logs in and puts the contact on the roster for the contact; a victim that was just restarted refuses streams until it has
    /// rejoined its cluster, so there the login is retried until the round's timeout.
    /// </summary>
    private async Task<XmppConnection> LoginAsync(System.Net.DnsEndPoint endpoint, string user, string contact, bool retry, CancellationToken ct)
    {
        var access = options.Access;
        string? lastRefusal = null;
        while (true)
        {
            var connection = await ConnectAsync(endpoint, access.Domain, retry, ct);
            try
            {
                await connection.LoginAsync(user, access, resource: null, ct);
                var contactJid = XmppConnection.Escape($"{contact}@{access.Domain}");
                await connection.IqAsync("set", $"<query xmlns='jabber:iq:roster'><item jid='{contactJid}'/></query>", throwOnError: true, ct);
                return connection;
            }
            catch (Exception e) when (retry && e is XmppException or IOException or SocketException)
            {
                if (e.Message != lastRefusal)
                {
                    // Once per distinct reason: a victim still rejoining says the same thing many times.
                    lastRefusal = e.Message;
                    await Console.Error.WriteLineAsync($"  login as {user} on {endpoint.Host}:{endpoint.Port} refused, retrying: {e.Message}");
                }

                await connection.DisposeAsync();
                await Task.Delay(LoginRetry, ct);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
    }

    private static async Task<XmppConnection> ConnectAsync(System.Net.DnsEndPoint endpoint, string domain, bool retry, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await XmppConnection.ConnectAsync(endpoint, domain, ct);
            }
            catch (SocketException) when (retry)
            {
                await Task.Delay(LoginRetry, ct);
            }
        }
    }

    /// <summary>Hands presence to <paramref name="onPresence"/> and approves subscription requests from <paramref name="contactBare"/>.</summary>
    private static async Task ReadAsync(XmppConnection connection, string contactBare, Action<Element> onPresence, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                var element = await connection.ReadElementAsync(stop);
                if (element.Name != "presence")
                {
                    continue;
                }

                var from = element.GetAttribute("from");
                if (element.GetAttribute("type") == "subscribe" && from == contactBare)
                {
                    await connection.SendAsync($"<presence to='{XmppConnection.Escape(contactBare)}' type='subscribed'/>", stop);
                }

                onPresence(element);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or XmppException or IOException or SocketException or XmlStreamException)
        {
            // The victim's connection dies with it; the survivor's ends with the round.
        }
    }
}
