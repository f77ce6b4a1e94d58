using System.Net.Sockets;

namespace ZkFire.Xmpp.Streams;

/// <summary>
/// Linux TCP options that save segments on a client connection. Every segment costs both ends a trip through the
/// network stack (on loopback, the receiver's too) and often a wake-up, so a login that needs fewer of them is
/// cheaper for the server and its clients alike. Elsewhere these are no-ops: the options are Linux's own.
/// </summary>
internal static class TcpSegments
{
    // From <netinet/tcp.h>.
    private const int IpProtocolTcp = 6;
    private const int TcpCork = 3;
    private const int TcpQuickAck = 12;

    private static readonly byte[] Off = new byte[sizeof(int)];
    private static readonly byte[] On = BitConverter.GetBytes(1);

    /// <summary>
    /// Lets the first answers carry the acknowledgement of what the client sent. A new connection starts in
    /// quick-ack mode, in which Linux sends a bare ACK for each of the client's first segments (its stream header,
    /// its SASL request) although the server's reply follows within a millisecond; XMPP is request and answer until
    /// the session is up, the exchange delayed ACKs are made for.
    /// </summary>
    public static void DelayAcks(Socket socket) => Set(socket, TcpQuickAck, Off);

    /// <summary>
    /// Holds what is written next until the sending side is shut down, so that the connection's last bytes and its
    /// FIN leave in one segment instead of two: the shutdown marks the held segment FIN and sends it.
    /// </summary>
    public static void HoldForShutdown(Socket socket) => Set(socket, TcpCork, On);

    private static void Set(Socket socket, int option, byte[] value)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(IpProtocolTcp, option, value);
        }
    }
}
