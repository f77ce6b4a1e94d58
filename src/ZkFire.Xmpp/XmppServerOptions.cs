using System.Security.Cryptography.X509Certificates;
using ZkFire.Xmpp.Sasl;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp;

/// <summary>Settings of the XMPP service; the host fills them from cluster.xml.</summary>
public sealed class XmppServerOptions
{
    public string Domain { get; set; } = "localhost";

    /// <summary><c>*</c> for every interface (dual-stack), or one IP address.</summary>
    public string ListenAddress { get; set; } = "*";

    public int C2sPort { get; set; } = 5222;

    /// <summary>XEP-0368 direct TLS; 0 disables it.</summary>
    public int DirectTlsPort { get; set; } = 5223;

    public X509Certificate2? Certificate { get; set; }

    public bool TlsRequired { get; set; } = true;

    /// <summary>Lets clients on a loopback address skip STARTTLS (tests, local tools).</summary>
    public bool AllowPlaintextOnLoopback { get; set; }

    public bool RegistrationOpen { get; set; }

    public XmlLimits XmlLimits { get; set; } = new();

    /// <summary>Time allowed for the stream header, and for any silence before authentication.</summary>
    public TimeSpan StreamOpenTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Silence after which the server pings an authenticated client (XEP-0199).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a client has to answer that ping before it is dropped.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public int OfflineQuota { get; set; } = 1000;

    /// <summary>Stanzas queued for a client that does not read; past this the client is disconnected.</summary>
    public int MaxSendQueueLength { get; set; } = 10_000;

    /// <summary>
    /// Resources of other nodes whose directed presence a session remembers, so that it hears them go offline if their
    /// node crashes (RFC 6121 §4.6.3); past this, further ones are not remembered.
    /// </summary>
    public int MaxDirectedPresenceSenders { get; set; } = 1000;

    public AuthFailureLimiterOptions AuthFailures { get; set; } = new();
}
