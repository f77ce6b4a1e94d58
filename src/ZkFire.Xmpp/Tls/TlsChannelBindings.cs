using System.Buffers.Binary;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Authentication.ExtendedProtection;
using ChannelBinding = ZkFire.Xmpp.Sasl.ChannelBinding;

namespace ZkFire.Xmpp.Tls;

/// <summary>The channel bindings (RFC 5929) a SCRAM-*-PLUS client may use on one TLS session.</summary>
internal static class TlsChannelBindings
{
    private const string UniquePrefix = "tls-unique:";

    /// <summary>
    /// tls-server-end-point first (defined for every TLS version), then tls-unique, which clients such as slixmpp
    /// use; .NET exposes no tls-exporter (RFC 9266).
    /// </summary>
    public static IReadOnlyList<ChannelBinding> Of(SslStream tls, byte[]? serverEndPoint)
    {
        var bindings = new List<ChannelBinding>(2);
        if (serverEndPoint is not null)
        {
            bindings.Add(new ChannelBinding("tls-server-end-point", serverEndPoint));
        }

        if (Unique(tls) is { } unique)
        {
            bindings.Add(new ChannelBinding("tls-unique", unique));
        }

        return bindings;
    }

    /// <summary>
    /// .NET returns a SEC_CHANNEL_BINDINGS structure: eight 32-bit fields whose last two give the length and
    /// offset of the application data, which is "tls-unique:" followed by the first Finished message.
    /// </summary>
    private static byte[]? Unique(SslStream tls)
    {
        using var binding = tls.TransportContext?.GetChannelBinding(ChannelBindingKind.Unique);
        if (binding is null || binding.IsInvalid || binding.Size < 32)
        {
            return null;
        }

        var raw = new byte[binding.Size];
        Marshal.Copy(binding.DangerousGetHandle(), raw, 0, raw.Length);
        var length = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(24));
        var offset = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(28));
        if (offset < 32 || length < UniquePrefix.Length || offset + length > raw.Length)
        {
            return null;
        }

        return raw.AsSpan(offset + UniquePrefix.Length, length - UniquePrefix.Length).ToArray();
    }
}
