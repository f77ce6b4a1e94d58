using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Storage.Sqlite;
using ZkFire.Xmpp;
using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Routing;

namespace ZkFire.Benchmarks.Streams;

/// <summary>
/// One whole client login and logout against a real node on loopback, as the login storm does it: TCP connect,
/// stream header and features, SASL2 SCRAM-SHA-1 with a Bind 2 request (XEP-0388/0386), initial presence until its
/// echo, then <c>&lt;/stream:stream&gt;</c> until the server's. The allocations reported are the node's plus this
/// client's, which matches bytes it expects with precomputed messages and so adds only its socket and the SCRAM
/// arithmetic; the difference between two runs is the node's.
/// </summary>
[MemoryDiagnoser]
public class C2sLoginBenchmarks
{
    private const string User = "bench";
    private const string Password = "bench-password";
    private const string ClientNonce = "fyko+d2lbbFgONRv9qkxdawL";
    private const string ClientFirstBare = $"n={User},r={ClientNonce}";
    private static readonly byte[] Header = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"u8.ToArray();
    private static readonly byte[] Presence = "<presence/>"u8.ToArray();
    private static readonly byte[] Close = "</stream:stream>"u8.ToArray();
    private static readonly byte[] FeaturesEnd = "</stream:features>"u8.ToArray();
    private static readonly byte[] BoundFeatures = "<stream:features/>"u8.ToArray();
    private static readonly byte[] ChallengeEnd = "</challenge>"u8.ToArray();
    private static readonly byte[] PresenceStart = "<presence"u8.ToArray();

    private readonly byte[] buffer = new byte[16 * 1024];
    private string directory = null!;
    private SqliteXmppStore store = null!;
    private XmppServer server = null!;
    private IPEndPoint endpoint = null!;
    private byte[] authenticate = null!;
    private byte[]? saltedPassword;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Directory.CreateTempSubdirectory("zkfire-bench-login-").FullName;
        store = await SqliteXmppStore.OpenAsync(new SqliteStoreOptions { DatabasePath = Path.Combine(directory, "xmpp.db") }, NullLogger<SqliteXmppStore>.Instance, CancellationToken.None);
        await new AccountManager(store.Users, TimeProvider.System).CreateAsync(User, Password, CancellationToken.None);
        var port = FreePort();
        endpoint = new IPEndPoint(IPAddress.Loopback, port);
        server = new XmppServer(
            new XmppServerOptions { Domain = "localhost", ListenAddress = "127.0.0.1", C2sPort = port, DirectTlsPort = 0, AllowPlaintextOnLoopback = true },
            store,
            new NoRemoteRoutes(),
            NullLoggerFactory.Instance);
        server.Start();
        var initial = Convert.ToBase64String(Encoding.ASCII.GetBytes("n,," + ClientFirstBare));
        authenticate = Encoding.ASCII.GetBytes(
            $"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-1'><initial-response>{initial}</initial-response>" +
            "<user-agent id='d4565fa7-4d72-4749-b3d3-740edbf87770'><software>bench</software></user-agent>" +
            "<bind xmlns='urn:xmpp:bind:0'><tag>bench</tag></bind></authenticate>");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await server.DisposeAsync();
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Benchmark]
    public async Task LoginSasl2()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        await socket.SendAsync(Header);
        await ReadUntilAsync(socket, FeaturesEnd);
        await socket.SendAsync(authenticate);
        var received = await ReadUntilAsync(socket, ChallengeEnd);
        await socket.SendAsync(ClientFinal(received));
        await ReadUntilAsync(socket, BoundFeatures);
        await socket.SendAsync(Presence);
        await ReadUntilAsync(socket, PresenceStart);
        await socket.SendAsync(Close);
        await ReadUntilAsync(socket, Close);
    }

    /// <summary>Reads until <paramref name="marker"/> has arrived; returns how many bytes the buffer holds.</summary>
    private async ValueTask<int> ReadUntilAsync(Socket socket, byte[] marker)
    {
        var filled = 0;
        while (buffer.AsSpan(0, filled).IndexOf(marker) < 0)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                throw new InvalidOperationException($"the node closed the connection; it sent: {Encoding.UTF8.GetString(buffer, 0, filled)}");
            }

            filled += read;
        }

        return filled;
    }

    /// <summary>The SCRAM client-final message (RFC 5802) for the challenge in the first <paramref name="length"/> bytes.</summary>
    private byte[] ClientFinal(int length)
    {
        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var start = text.IndexOf('>', text.IndexOf("<challenge", StringComparison.Ordinal)) + 1;
        var serverFirst = Encoding.ASCII.GetString(Convert.FromBase64String(text[start..text.IndexOf("</challenge>", StringComparison.Ordinal)]));
        var fields = serverFirst.Split(',').ToDictionary(f => f[0], f => f[2..]);
#pragma warning disable CA5350 // SCRAM-SHA-1 is the mechanism the login storm measures.
        saltedPassword ??= Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Password), Convert.FromBase64String(fields['s']), int.Parse(fields['i'], System.Globalization.CultureInfo.InvariantCulture), HashAlgorithmName.SHA1, 20);
        var clientKey = HMACSHA1.HashData(saltedPassword, "Client Key"u8);
        var withoutProof = $"c=biws,r={fields['r']}";
        var signature = HMACSHA1.HashData(SHA1.HashData(clientKey), Encoding.ASCII.GetBytes($"{ClientFirstBare},{serverFirst},{withoutProof}"));
#pragma warning restore CA5350
        for (var i = 0; i < clientKey.Length; i++)
        {
            clientKey[i] ^= signature[i];
        }

        var final = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{withoutProof},p={Convert.ToBase64String(clientKey)}"));
        return Encoding.ASCII.GetBytes($"<response xmlns='urn:xmpp:sasl:2'>{final}</response>");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
