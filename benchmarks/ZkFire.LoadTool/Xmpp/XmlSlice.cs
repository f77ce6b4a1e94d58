using System.Buffers;
using System.Text;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>
/// One complete element in received bytes, read where it lies without building a tree: the login's answers (stream
/// features, SASL challenge and success, the bind result, the presence echo) are read on every login, and a DOM of
/// each was most of the tool's managed time per login. Names are matched by local name, whatever the prefix; within
/// those answers a local name is not ambiguous, and servers differ in how they declare namespaces. Attribute values
/// and texts are the raw bytes, entities undecoded (<see cref="Decoded"/> decodes them).
/// </summary>
internal readonly ref struct XmlSlice
{
    private static readonly SearchValues<byte> TagSyntax = SearchValues.Create(">'\""u8);
    private static readonly SearchValues<byte> NameEnd = SearchValues.Create(" \t\r\n/>="u8);

    private readonly ReadOnlySpan<byte> xml;

    /// <summary>Where the start tag's <c>&gt;</c> is.</summary>
    private readonly int headEnd;

    /// <param name="xml">From the start tag's <c>&lt;</c> to the end of the element, as <see cref="Length"/> measured it.</param>
    public XmlSlice(ReadOnlySpan<byte> xml)
    {
        this.xml = xml;
        headEnd = TagEnd(xml, 0);
    }

    /// <summary>The element's name without its prefix.</summary>
    public ReadOnlySpan<byte> LocalName
    {
        get
        {
            var name = QualifiedName;
            return name[(name.IndexOf((byte)':') + 1)..];
        }
    }

    /// <summary>Between the start tag and the end tag, children included; empty when self-closing.</summary>
    public ReadOnlySpan<byte> Content => xml[headEnd - 1] == (byte)'/' ? default : xml[(headEnd + 1)..xml.LastIndexOf((byte)'<')];

    /// <summary>The child elements, in order.</summary>
    public Children Elements => new(Content);

    private ReadOnlySpan<byte> QualifiedName
    {
        get
        {
            var end = xml[1..].IndexOfAny(NameEnd);
            return xml[1..(end < 0 ? xml.Length : end + 1)];
        }
    }

    public bool Is(ReadOnlySpan<byte> localName) => LocalName.SequenceEqual(localName);

    /// <summary>The first child of that local name.</summary>
    public bool TryChild(ReadOnlySpan<byte> localName, out XmlSlice child)
    {
        foreach (var element in Elements)
        {
            if (element.Is(localName))
            {
                child = element;
                return true;
            }
        }

        child = default;
        return false;
    }

    public bool HasChild(ReadOnlySpan<byte> localName) => TryChild(localName, out _);

    /// <summary>The value of the attribute named exactly <paramref name="name"/> (<c>type</c>, <c>xmlns</c>), undecoded.</summary>
    public bool TryAttribute(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var head = xml[..headEnd];
        var at = 1 + QualifiedName.Length;
        while (at < head.Length)
        {
            var nameStart = head[at..].IndexOfAnyExcept(" \t\r\n/"u8);
            var equals = nameStart < 0 ? -1 : head[(at + nameStart)..].IndexOf((byte)'=');
            if (equals < 0)
            {
                break;
            }

            at += nameStart;
            var attribute = head.Slice(at, equals).TrimEnd(" \t\r\n"u8);
            var open = head[(at + equals + 1)..].IndexOfAny("'\""u8);
            if (open < 0)
            {
                break;
            }

            open += at + equals + 1;
            var close = head[(open + 1)..].IndexOf(head[open]);
            if (close < 0)
            {
                break;
            }

            if (attribute.SequenceEqual(name))
            {
                value = head.Slice(open + 1, close);
                return true;
            }

            at = open + close + 2;
        }

        value = default;
        return false;
    }

    /// <summary>The element as text, for error messages.</summary>
    public override string ToString() => Encoding.UTF8.GetString(xml);

    /// <summary>
    /// The length of the element that starts <paramref name="data"/> (at its <c>&lt;</c>), or -1 when it is not complete
    /// yet. Quoted <c>&gt;</c> and CDATA sections are skipped; comments and processing instructions cannot occur in an
    /// XMPP stream (RFC 6120 §11.1).
    /// </summary>
    public static int Length(ReadOnlySpan<byte> data)
    {
        var depth = 0;
        var at = 0;
        while (true)
        {
            var open = data[at..].IndexOf((byte)'<');
            if (open < 0 || at + open + 1 >= data.Length)
            {
                return -1;
            }

            at += open;
            int end;
            if (data[at + 1] == (byte)'/')
            {
                end = data[at..].IndexOf((byte)'>');
                if (end < 0)
                {
                    return -1;
                }

                at += end + 1;
                depth--;
            }
            else if (data[at + 1] == (byte)'!')
            {
                end = data[at..].IndexOf("]]>"u8);
                if (end < 0)
                {
                    return -1;
                }

                at += end + 3;
            }
            else
            {
                end = TagEnd(data, at);
                if (end < 0)
                {
                    return -1;
                }

                depth += data[end - 1] == (byte)'/' ? 0 : 1;
                at = end + 1;
            }

            if (depth == 0)
            {
                return at;
            }
        }
    }

    /// <summary>The length of the stream header <paramref name="data"/> starts with, or -1 when it starts with another element or a tag not received whole.</summary>
    public static int StreamHeaderLength(ReadOnlySpan<byte> data)
    {
        var end = TagEnd(data, 0);
        return end >= 0 && new XmlSlice(data[..(end + 1)]).Is("stream"u8) ? end + 1 : -1;
    }

    /// <summary>The bytes with XML's predefined and numeric entities decoded, as a string.</summary>
    public static string Decoded(ReadOnlySpan<byte> raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        return raw.IndexOf((byte)'&') < 0 ? text : System.Net.WebUtility.HtmlDecode(text);
    }

    /// <summary>Where the tag that starts at <paramref name="at"/> ends (its <c>&gt;</c>), or -1 when not received yet.</summary>
    private static int TagEnd(ReadOnlySpan<byte> data, int at)
    {
        while (true)
        {
            var next = data[at..].IndexOfAny(TagSyntax);
            if (next < 0)
            {
                return -1;
            }

            at += next;
            if (data[at] == (byte)'>')
            {
                return at;
            }

            var close = data[(at + 1)..].IndexOf(data[at]);
            if (close < 0)
            {
                return -1;
            }

            at += close + 2;
        }
    }

    /// <summary>The child elements of some content; text between them is skipped.</summary>
    public ref struct Children(ReadOnlySpan<byte> content)
    {
        private ReadOnlySpan<byte> rest = content;

        public XmlSlice Current { get; private set; }

        public readonly Children GetEnumerator() => this;

        public bool MoveNext()
        {
            while (true)
            {
                var open = rest.IndexOf((byte)'<');
                if (open < 0 || open + 1 >= rest.Length || rest[open + 1] == (byte)'/')
                {
                    return false;
                }

                rest = rest[open..];
                var length = Length(rest);
                if (length < 0)
                {
                    return false;
                }

                var node = rest[..length];
                rest = rest[length..];
                if (node[1] != (byte)'!')
                {
                    Current = new XmlSlice(node);
                    return true;
                }
            }
        }
    }
}
