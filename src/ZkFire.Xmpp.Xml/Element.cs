using System.Buffers;
using System.Text;

namespace ZkFire.Xmpp.Xml;

/// <summary>A node of a stanza tree: an <see cref="Element"/> or a <see cref="TextNode"/>.</summary>
public abstract class Node;

/// <summary>Character data inside an element, already unescaped. Immutable, so clones share it.</summary>
public sealed class TextNode(string value) : Node
{
    public string Value { get; } = value ?? throw new ArgumentNullException(nameof(value));
}

/// <summary>An attribute with its name as written (e.g. <c>to</c>, <c>xml:lang</c>) and its unescaped value.</summary>
public readonly record struct XmlAttribute(string Name, string Value);

/// <summary>
/// One stanza (or a child of one). Namespaces are resolved: <see cref="Namespace"/> is the element's
/// namespace URI whatever prefix it arrived with, and serialisation writes default-namespace declarations only
/// where the namespace differs from the parent's.
/// </summary>
/// <remarks>
/// <para><see cref="Namespace"/> <c>null</c> means "whatever the parent's is" (handy when building stanzas);
/// the empty string means no namespace. Parsed elements always carry their resolved namespace.</para>
/// <para>Namespace declarations are not attributes, with one exception: an attribute with a prefix other than
/// <c>xml</c> (say <c>p:a</c>) needs an <c>xmlns:p</c> attribute on the same element for the output to be
/// namespace-well-formed; the parser adds it, and code building such attributes must set it too.</para>
/// <para>Not thread-safe; a tree may be read concurrently only while nobody mutates it.</para>
/// </remarks>
public sealed class Element : Node
{
    private List<XmlAttribute>? _attributes;
    private List<Node>? _children;

    /// <param name="name">Local name (an NCName: no prefix).</param>
    /// <param name="ns">Namespace URI; <c>null</c> inherits the parent's when serialised.</param>
    public Element(string name, string? ns = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains(':', StringComparison.Ordinal) || !XmlChars.IsValidQName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid element name.", nameof(name));
        }

        Name = name;
        Namespace = ns;
    }

    /// <summary>For the parser: the name is already validated and the list is handed over.</summary>
    internal Element(string name, string? ns, List<XmlAttribute>? attributes)
    {
        Name = name;
        Namespace = ns;
        _attributes = attributes;
    }

    public string Name { get; }

    public string? Namespace { get; set; }

    public IReadOnlyList<XmlAttribute> Attributes => (IReadOnlyList<XmlAttribute>?)_attributes ?? [];

    public IReadOnlyList<Node> Children => (IReadOnlyList<Node>?)_children ?? [];

    /// <summary>Concatenated direct text children.</summary>
    public string Text
    {
        get
        {
            string? first = null;
            StringBuilder? rest = null;
            foreach (var child in Children)
            {
                if (child is TextNode text)
                {
                    if (first is null)
                    {
                        first = text.Value;
                    }
                    else
                    {
                        (rest ??= new StringBuilder(first)).Append(text.Value);
                    }
                }
            }

            return rest?.ToString() ?? first ?? string.Empty;
        }
    }

    public string? GetAttribute(string name)
    {
        int i = _attributes is null ? -1 : IndexOfAttribute(_attributes, name);
        return i < 0 ? null : _attributes![i].Value;
    }

    /// <summary>Sets or, with <c>null</c>, removes an attribute; returns this element for chaining.</summary>
    /// <param name="name">The name as written, e.g. <c>type</c> or <c>xml:lang</c>; set the default namespace
    /// through <see cref="Namespace"/>, not as an <c>xmlns</c> attribute.</param>
    public Element SetAttribute(string name, string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        int i = _attributes is null ? -1 : IndexOfAttribute(_attributes, name);
        if (value is null)
        {
            if (i >= 0)
            {
                _attributes!.RemoveAt(i);
            }
        }
        else if (i >= 0)
        {
            _attributes![i] = new XmlAttribute(name, value);
        }
        else
        {
            if (name == "xmlns" || !XmlChars.IsValidQName(name))
            {
                throw new ArgumentException($"'{name}' is not a valid attribute name.", nameof(name));
            }

            (_attributes ??= []).Add(new XmlAttribute(name, value));
        }

        return this;
    }

    /// <summary>The first child element called <paramref name="name"/>.</summary>
    /// <param name="name">Local name.</param>
    /// <param name="ns">Namespace to match against the child's <see cref="Namespace"/> as stored;
    /// <c>null</c> matches any namespace.</param>
    public Element? Child(string name, string? ns = null)
    {
        foreach (var child in Children)
        {
            if (child is Element e && e.Matches(name, ns))
            {
                return e;
            }
        }

        return null;
    }

    public IEnumerable<Element> Elements()
    {
        foreach (var child in Children)
        {
            if (child is Element e)
            {
                yield return e;
            }
        }
    }

    /// <summary>Child elements called <paramref name="name"/>; <paramref name="ns"/> as in <see cref="Child"/>.</summary>
    public IEnumerable<Element> Elements(string name, string? ns = null)
    {
        foreach (var child in Children)
        {
            if (child is Element e && e.Matches(name, ns))
            {
                yield return e;
            }
        }
    }

    public Element Add(Node child)
    {
        ArgumentNullException.ThrowIfNull(child);
        (_children ??= []).Add(child);
        return this;
    }

    public Element AddText(string text) => Add(new TextNode(text));

    public bool Remove(Node child) => _children?.Remove(child) ?? false;

    /// <summary>Removes all children and all attributes, like <c>XElement.RemoveAll</c>.</summary>
    public void RemoveAll()
    {
        _children?.Clear();
        _attributes?.Clear();
    }

    /// <summary>Deep copy of the element tree; text nodes, being immutable, are shared.</summary>
    public Element Clone()
    {
        var copy = new Element(Name, Namespace, _attributes is null ? null : [.. _attributes]);
        if (_children is not null)
        {
            copy._children = new List<Node>(_children.Count);
            foreach (var child in _children)
            {
                copy._children.Add(child is Element e ? e.Clone() : child);
            }
        }

        return copy;
    }

    /// <summary>Writes UTF-8 XML; the namespace is declared unless it equals <paramref name="inheritedNamespace"/>.</summary>
    /// <exception cref="InvalidOperationException">A name or value holds a character XML cannot carry
    /// (a control character other than tab, LF and CR, U+FFFE, U+FFFF or a lone surrogate).</exception>
    public void WriteTo(IBufferWriter<byte> writer, string? inheritedNamespace)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Write(writer, inheritedNamespace ?? string.Empty);
    }

    /// <summary>Serialises as in <see cref="WriteTo"/> with <paramref name="inheritedNamespace"/> omitted.</summary>
    public string ToXml(string? inheritedNamespace = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteTo(buffer, inheritedNamespace);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public override string ToString() => ToXml();

    internal static int IndexOfAttribute(List<XmlAttribute> attributes, string name)
    {
        for (int i = 0; i < attributes.Count; i++)
        {
            if (attributes[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private bool Matches(string name, string? ns) => Name == name && (ns is null || Namespace == ns);

    private void Write(IBufferWriter<byte> writer, string inherited)
    {
        writer.Write("<"u8);
        XmlOutput.WriteChars(writer, Name);
        string ns = Namespace ?? inherited;
        if (ns != inherited)
        {
            XmlOutput.WriteAttribute(writer, "xmlns", ns);
        }

        if (_attributes is not null)
        {
            foreach (var attribute in _attributes)
            {
                XmlOutput.WriteAttribute(writer, attribute.Name, attribute.Value);
            }
        }

        if (_children is null || _children.Count == 0)
        {
            writer.Write("/>"u8);
            return;
        }

        writer.Write(">"u8);
        foreach (var child in _children)
        {
            switch (child)
            {
                case Element e:
                    e.Write(writer, ns);
                    break;
                case TextNode text:
                    XmlOutput.WriteEscaped(writer, text.Value, XmlChars.TextEscapes);
                    break;
                default:
                    throw new InvalidOperationException($"Cannot serialise a {child.GetType().Name}.");
            }
        }

        writer.Write("</"u8);
        XmlOutput.WriteChars(writer, Name);
        writer.Write(">"u8);
    }
}
