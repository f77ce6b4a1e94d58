using System.Net;
using DotNetty.Transport.Channels;

namespace ZkFire.Interconnect;

/// <summary>A connection whose other side has proven (or, without a secret, was admitted as) <see cref="Id"/>.</summary>
/// <param name="Name">The peer as logs name it: "member 2 at 10.0.0.2:41234".</param>
/// <param name="Purpose">What the link is for (the purpose both sides agreed on in the handshake).</param>
public readonly record struct AuthenticatedPeer(IChannel Channel, string Id, string Name, string Purpose);

/// <summary>
/// The accepting side's decision on a connection whose other side claims to be <paramref name="peerId"/> and comes
/// from <paramref name="address"/> (IPv4-mapped addresses already mapped), before it proves anything: null admits it
/// to the rest of the handshake, anything else is why it is refused. Without a shared secret this is all the checking
/// there is, so it should hold the address against the addresses the peer registered.
/// </summary>
public delegate string? LinkAdmission(string peerId, IPAddress address);
