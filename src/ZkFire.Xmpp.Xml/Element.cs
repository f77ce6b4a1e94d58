using System.Buffers;

namespace ZkFire.Xmpp.Xml;

/// <summary>A node of a stanza tree: an <see cref="Element"/> or a <see cref="TextNode"/>.</summary>
public abstract class Node;

/// <summary>Character data inside an element, already unescaped.</summary>
public sealed class TextNode(string value) : Node
{
    public string Value { get; } = value;
}

/// <summary>An attribute with its name as written (e.g. <c>to</c>, <c>xml:lang</c>) and its unescaped value.</summary>
public readonly record struct XmlAttribute(string Name, string Value);

/// <summary>
/// One stanza (or a child of one). Namespaces are resolved: <see cref="Namespace"/> is the element's
/// namespace URI whatever prefix it arrived with, and serialisation writes default-namespace declarations only
/// where the namespace differs from the parent's.
/// </summary>
public sealed class Element : Node
{
    public Element(string name, string? ns = null) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();

    public string? Namespace { get => throw new NotImplementedException(); set => throw new NotImplementedException(); }

    public IReadOnlyList<XmlAttribute> Attributes => throw new NotImplementedException();

    public IReadOnlyList<Node> Children => throw new NotImplementedException();

    /// <summary>Concatenated direct text children.</summary>
    public string Text => throw new NotImplementedException();

    public string? GetAttribute(string name) => throw new NotImplementedException();

    /// <summary>Sets or, with <c>null</c>, removes an attribute; returns this element for chaining.</summary>
    public Element SetAttribute(string name, string? value) => throw new NotImplementedException();

    public Element? Child(string name, string? ns = null) => throw new NotImplementedException();

    public IEnumerable<Element> Elements() => throw new NotImplementedException();

    public IEnumerable<Element> Elements(string name, string? ns = null) => throw new NotImplementedException();

    public Element Add(Node child) => throw new NotImplementedException();

    public Element AddText(string text) => throw new NotImplementedException();

    public bool Remove(Node child) => throw new NotImplementedException();

    public void RemoveAll() => throw new NotImplementedException();

    public Element Clone() => throw new NotImplementedException();

    /// <summary>Writes UTF-8 XML; the namespace is declared unless it equals <paramref name="inheritedNamespace"/>.</summary>
    public void WriteTo(IBufferWriter<byte> writer, string? inheritedNamespace) => throw new NotImplementedException();

    /// <summary>Serialises as in <see cref="WriteTo"/> with <paramref name="inheritedNamespace"/> omitted.</summary>
    public string ToXml(string? inheritedNamespace = null) => throw new NotImplementedException();

    public override string ToString() => ToXml();
}
