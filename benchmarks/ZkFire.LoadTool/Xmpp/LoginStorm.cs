using System.Diagnostics;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>What <c>xmpp-login</c> measured: one wave per round, after the unmeasured first logins.</summary>
/// <param name="ServerCpuSeconds">The server's CPU time over the measured rounds, when its pid was given.</param>
internal sealed record LoginResult(LoginOptions Options, WaveResult FirstLogins, IReadOnlyList<WaveResult> Rounds, double SetupSeconds, double? ServerCpuSeconds);

/// <summary>
/// The login storm: every account logs in once per round, at most C at a time, and the round's sessions are closed
/// before the next. The unmeasured first round fills the SCRAM cache, so measured rounds cost the tool two HMACs per
/// login instead of a PBKDF2.
/// </summary>
internal sealed class LoginStorm(LoginOptions options)
{
    public async Task<LoginResult> RunAsync(CancellationToken interrupt)
    {
        var load = options.Load;
        ProcessMemory.RequireOpenFiles(options.Accounts);
        load.RequireEphemeralPorts(options.Accounts);
        var wave = new LoginWave(load, new ScramCache());
        var setup = Stopwatch.StartNew();
        WaveResult first;
        using (var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt))
        {
            setupTimeout.CancelAfter(load.SetupTimeout);
            try
            {
                if (load.Access.Register)
                {
                    await wave.RegisterAsync(options.Accounts, setupTimeout.Token);
                }

                first = await wave.RunAsync("first logins (unmeasured)", options.Accounts, options.Accounts, _ => null, setupTimeout.Token);
            }
            catch (OperationCanceledException) when (!interrupt.IsCancellationRequested)
            {
                throw new TimeoutException($"registration and first logins did not finish within {load.SetupTimeout.TotalSeconds:0} s (--setup-timeout)");
            }

            await wave.CloseAsync(first.Online);
            if (setupTimeout.IsCancellationRequested && !interrupt.IsCancellationRequested)
            {
                throw new TimeoutException($"the first logins did not finish within {load.SetupTimeout.TotalSeconds:0} s (--setup-timeout)");
            }
        }

        setup.Stop();
        var rounds = new List<WaveResult>();
        var serverPid = options.Load.Access.ServerPid;
        double? serverCpu = serverPid is null ? null : 0;
        for (var round = 1; round <= options.Rounds && !interrupt.IsCancellationRequested; round++)
        {
            var before = serverPid is { } pid ? ServerCpu.SecondsUsed(pid) : 0;
            var result = await wave.RunAsync($"round {round}/{options.Rounds}", options.Accounts, options.Accounts, _ => null, interrupt);
            serverCpu += serverPid is { } after ? ServerCpu.SecondsUsed(after) - before : 0;
            await wave.CloseAsync(result.Online);
            rounds.Add(result);
        }

        return new LoginResult(options, first, rounds, setup.Elapsed.TotalSeconds, serverCpu);
    }
}
