namespace ZkFire.Xmpp.Xml;

/// <summary>Bounds the parser enforces on what a peer may send.</summary>
public sealed class XmlLimits
{
    /// <summary>Largest top-level element (stanza or nonza), in bytes as received.</summary>
    public int MaxStanzaBytes { get; init; } = 256 * 1024;

    /// <summary>Deepest element nesting inside a stanza (the stanza itself is depth 1).</summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Most attributes (namespace declarations included) on one element.</summary>
    public int MaxAttributes { get; init; } = 32;

    /// <summary>Longest element or attribute name, in bytes.</summary>
    public int MaxNameBytes { get; init; } = 256;
}
