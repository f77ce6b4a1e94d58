using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace ZkFire.Xmpp.Xml;

/// <summary>
/// Builds elements from complete, contiguous units delimited by <see cref="MarkupScanner"/> and checks them fully:
/// grammar, names, UTF-8, legal characters, references, namespaces and the per-element limits. Holds the namespace
/// bindings of the stream header, which every stanza inherits. One instance per parser; not thread-safe.
/// </summary>
internal sealed class XmlTreeReader
{
    // Attribute values this short are looked up among well-known strings before allocating.
    private const int ShortValue = 64;

    private readonly XmlLimits _limits;
    private readonly StringCache _strings = new();
    private int _attributeCount;

    // The working arrays of the current read; see Scratch.
    private Scratch _s = null!;

    // Prefix bindings in scope, innermost last: the stream header's, then those of the open elements.
    private readonly List<(string Prefix, string Uri)> _scope = [];
    private int _streamScope;
    private string _streamDefault = string.Empty;
    private byte[] _headerName = [];

    public XmlTreeReader(XmlLimits limits) => _limits = limits;

    private enum CharDataKind
    {
        Text,
        Attribute,
        Cdata,
    }

    public void ResetStream()
    {
        _scope.Clear();
        _streamScope = 0;
        _streamDefault = string.Empty;
        _headerName = [];
    }

    /// <summary>Checks an XML declaration (<c>&lt;?xml version='1.0' ...?&gt;</c>); any other processing instruction is restricted.</summary>
    public static void ReadDeclaration(ReadOnlySpan<byte> data)
    {
        int pos = 2;
        int target = data[pos..].IndexOfAnyExcept(XmlChars.NameBytes);
        if (target < 0 || !data.Slice(pos, target).SequenceEqual("xml"u8))
        {
            ThrowHelper.RestrictedXml("Processing instructions are not allowed.");
        }

        pos += target;
        if (!TryReadPseudoAttribute(data, ref pos, "version"u8, out var version) || !IsXml1Version(version))
        {
            ThrowHelper.NotWellFormed("The XML declaration needs version='1.x'.");
        }

        if (TryReadPseudoAttribute(data, ref pos, "encoding"u8, out var encoding) && !Ascii.EqualsIgnoreCase(encoding, "UTF-8"u8))
        {
            ThrowHelper.StreamError(StreamConditions.UnsupportedEncoding, "XMPP streams are UTF-8.");
        }

        if (TryReadPseudoAttribute(data, ref pos, "standalone"u8, out var standalone)
            && !standalone.SequenceEqual("yes"u8) && !standalone.SequenceEqual("no"u8))
        {
            ThrowHelper.NotWellFormed("standalone must be 'yes' or 'no'.");
        }

        SkipWhitespace(data, ref pos);
        if (pos != data.Length - 2 || data[pos] != '?')
        {
            ThrowHelper.NotWellFormed("Malformed XML declaration.");
        }
    }

    /// <summary>Reads the stream header's start tag and makes its namespace bindings the base scope of every stanza.</summary>
    /// <returns>The header; <paramref name="contentNamespace"/> is its default namespace, if it declares one.</returns>
    public Element ReadHeader(ReadOnlySpan<byte> data, out bool empty, out string? contentNamespace)
    {
        _s = Scratch.ForThisThread(_limits);
        ResetStream();
        int pos = 0;
        var header = ReadStartTag(data, ref pos, string.Empty, out empty, out string defaultNs, out int nameLength);
        if (header.Namespace != XmlNamespaces.Streams)
        {
            ThrowHelper.StreamError(StreamConditions.InvalidNamespace, $"The stream element must be in the {XmlNamespaces.Streams} namespace.");
        }

        if (header.Name != "stream")
        {
            ThrowHelper.NotWellFormed("The first element of the stream must be <stream:stream>.");
        }

        EnsureConsumed(data, pos);
        _headerName = data.Slice(1, nameLength).ToArray();
        _streamScope = _scope.Count;
        _streamDefault = defaultNs;
        contentNamespace = defaultNs.Length == 0 ? null : defaultNs;
        return header;
    }

    /// <summary>Checks the end tag closing the stream against the header's name.</summary>
    public void ReadStreamEnd(ReadOnlySpan<byte> data)
    {
        _s = Scratch.ForThisThread(_limits);
        int pos = 0;
        ReadEndTag(data, ref pos, _headerName);
        EnsureConsumed(data, pos);
    }

    /// <summary>Reads one complete top-level element.</summary>
    public Element ReadElement(ReadOnlySpan<byte> data)
    {
        _s = Scratch.ForThisThread(_limits);
        if (_scope.Count > _streamScope)
        {
            _scope.RemoveRange(_streamScope, _scope.Count - _streamScope);
        }

        int pos = 0;
        int depth = 0;
        var root = OpenElement(data, ref pos, ref depth);
        if (depth > 0)
        {
            ReadContent(data, ref pos, depth);
        }

        EnsureConsumed(data, pos);
        return root;
    }

    private static void EnsureConsumed(ReadOnlySpan<byte> data, int pos)
    {
        if (pos != data.Length)
        {
            ThrowHelper.NotWellFormed("Unexpected data after the element.");
        }
    }

    private void ReadContent(ReadOnlySpan<byte> data, ref int pos, int depth)
    {
        // Text pieces separated by CDATA sections form one text node.
        var text = new CharBuilder(stackalloc char[256]);
        try
        {
            while (depth > 0)
            {
                int lt = data[pos..].IndexOf((byte)'<');
                if (lt < 0 || pos + lt + 1 >= data.Length)
                {
                    ThrowHelper.UnexpectedEnd();
                }

                var run = data.Slice(pos, lt);
                pos += lt;
                byte next = data[pos + 1];
                if (next == '!')
                {
                    AppendCharData(run, ref text, CharDataKind.Text);
                    AppendCdata(data, ref pos, ref text);
                    continue;
                }

                var parent = _s.Open[depth - 1];
                if (text.Length > 0)
                {
                    AppendCharData(run, ref text, CharDataKind.Text);
                    parent.Add(new TextNode(text.ToString()));
                    text.Clear();
                }
                else if (!run.IsEmpty)
                {
                    parent.Add(new TextNode(MakeString(run, CharDataKind.Text, remember: false)));
                }

                if (next == '/')
                {
                    depth--;
                    ReadEndTag(data, ref pos, data.Slice(_s.OpenNameStart[depth], _s.OpenNameLength[depth]));
                    _scope.RemoveRange(_s.OpenScope[depth], _scope.Count - _s.OpenScope[depth]);
                }
                else if (next == '?')
                {
                    ThrowHelper.RestrictedXml("Processing instructions are not allowed.");
                }
                else
                {
                    OpenElement(data, ref pos, ref depth);
                }
            }
        }
        finally
        {
            text.Dispose();
        }
    }

    private static void AppendCdata(ReadOnlySpan<byte> data, ref int pos, ref CharBuilder text)
    {
        ReadOnlySpan<byte> open = "<![CDATA["u8;
        if (!data[pos..].StartsWith(open))
        {
            ThrowHelper.RestrictedXml("Comments, DTDs and declarations are not allowed.");
        }

        int start = pos + open.Length;
        int length = data[start..].IndexOf("]]>"u8);
        if (length < 0)
        {
            ThrowHelper.UnexpectedEnd();
        }

        AppendCharData(data.Slice(start, length), ref text, CharDataKind.Cdata);
        pos = start + length + 3;
    }

    private Element OpenElement(ReadOnlySpan<byte> data, ref int pos, ref int depth)
    {
        if (depth == _limits.MaxDepth)
        {
            ThrowHelper.PolicyViolation($"Elements nested deeper than {_limits.MaxDepth}.");
        }

        int nameStart = pos + 1;
        int scopeMark = _scope.Count;
        string parentDefault = depth == 0 ? _streamDefault : _s.OpenDefault[depth - 1];
        var element = ReadStartTag(data, ref pos, parentDefault, out bool empty, out string defaultNs, out int nameLength);
        if (depth > 0)
        {
            _s.Open[depth - 1].Add(element);
        }

        if (empty)
        {
            _scope.RemoveRange(scopeMark, _scope.Count - scopeMark);
            return element;
        }

        _s.Open[depth] = element;
        _s.OpenNameStart[depth] = nameStart;
        _s.OpenNameLength[depth] = nameLength;
        _s.OpenScope[depth] = scopeMark;
        _s.OpenDefault[depth] = defaultNs;
        depth++;
        return element;
    }

    private Element ReadStartTag(
        ReadOnlySpan<byte> data, ref int pos, string parentDefault, out bool empty, out string defaultNs, out int nameLength)
    {
        pos++;
        var qname = ReadQName(data, ref pos, out int colon);
        nameLength = qname.Length;
        string? prefix = colon < 0 ? null : _strings.Get(qname[..colon], remember: true);
        string local = _strings.Get(qname[(colon + 1)..], remember: true);

        empty = ReadAttributes(data, ref pos);
        defaultNs = DeclareNamespaces(parentDefault);
        string ns = prefix is null ? defaultNs : Resolve(prefix);
        return new Element(local, ns, BuildAttributes());
    }

    /// <summary>Reads the attributes into <see cref="_s.Attributes"/>; returns whether the tag was an empty-element tag.</summary>
    private bool ReadAttributes(ReadOnlySpan<byte> data, ref int pos)
    {
        _attributeCount = 0;
        while (true)
        {
            bool separated = SkipWhitespace(data, ref pos);
            if (pos >= data.Length)
            {
                ThrowHelper.UnexpectedEnd();
            }

            byte b = data[pos];
            if (b == '>')
            {
                pos++;
                return false;
            }

            if (b == '/')
            {
                pos++;
                Expect(data, ref pos, '>');
                return true;
            }

            if (!separated)
            {
                ThrowHelper.NotWellFormed("Attributes must be preceded by whitespace.");
            }

            if (_attributeCount == _limits.MaxAttributes)
            {
                ThrowHelper.PolicyViolation($"More than {_limits.MaxAttributes} attributes on an element.");
            }

            var qname = ReadQName(data, ref pos, out int colon);
            bool declaration = qname.StartsWith("xmlns"u8) && (qname.Length == 5 || colon == 5);
            string name = _strings.Get(qname, remember: true);
            string? prefix = colon < 0 ? null : _strings.Get(declaration ? qname[6..] : qname[..colon], remember: true);
            SkipWhitespace(data, ref pos);
            Expect(data, ref pos, '=');
            SkipWhitespace(data, ref pos);
            string value = ReadAttributeValue(data, ref pos, remember: declaration);
            for (int i = 0; i < _attributeCount; i++)
            {
                if (_s.Attributes[i].Name == name)
                {
                    ThrowHelper.NotWellFormed($"Duplicate attribute '{name}'.");
                }
            }

            _s.Attributes[_attributeCount++] = new RawAttribute(name, prefix, value, declaration);
        }
    }

    private string ReadAttributeValue(ReadOnlySpan<byte> data, ref int pos, bool remember)
    {
        if (pos >= data.Length)
        {
            ThrowHelper.UnexpectedEnd();
        }

        byte quote = data[pos];
        if (quote is not ((byte)'"' or (byte)'\''))
        {
            ThrowHelper.NotWellFormed("Attribute values must be quoted.");
        }

        int length = data[(pos + 1)..].IndexOf(quote);
        if (length < 0)
        {
            ThrowHelper.UnexpectedEnd();
        }

        var raw = data.Slice(pos + 1, length);
        pos += length + 2;
        return MakeString(raw, CharDataKind.Attribute, remember);
    }

    /// <summary>Pushes the tag's prefix declarations onto the scope; returns the default namespace in effect for it.</summary>
    private string DeclareNamespaces(string parentDefault)
    {
        string defaultNs = parentDefault;
        for (int i = 0; i < _attributeCount; i++)
        {
            ref var a = ref _s.Attributes[i];
            if (!a.IsDeclaration)
            {
                continue;
            }

            if (a.Value is XmlNamespaces.Xmlns || (a.Value is XmlNamespaces.Xml) != (a.Prefix is "xml"))
            {
                ThrowHelper.NotWellFormed("The xml and xmlns namespaces cannot be redeclared.");
            }

            if (a.Prefix is null)
            {
                defaultNs = a.Value;
                continue;
            }

            if (a.Prefix is "xmlns" || a.Value.Length == 0)
            {
                ThrowHelper.NotWellFormed($"Invalid declaration of prefix '{a.Prefix}'.");
            }

            _scope.Add((a.Prefix, a.Value));
        }

        return defaultNs;
    }

    private string Resolve(ReadOnlySpan<char> prefix)
    {
        if (prefix is "xml")
        {
            return XmlNamespaces.Xml;
        }

        for (int i = _scope.Count - 1; i >= 0; i--)
        {
            if (prefix.SequenceEqual(_scope[i].Prefix))
            {
                return _scope[i].Uri;
            }
        }

        return ThrowHelper.NotWellFormed<string>($"Undeclared namespace prefix '{prefix}'.");
    }

    /// <summary>
    /// The element's attributes without namespace declarations (namespaces live in <see cref="Element.Namespace"/>),
    /// except that each prefix used by an attribute (other than <c>xml:</c>) gets its <c>xmlns:prefix</c> declaration
    /// appended, wherever in scope it was declared, so the element serialises namespace-well-formed on its own.
    /// </summary>
    private List<XmlAttribute>? BuildAttributes()
    {
        List<XmlAttribute>? list = null;
        bool prefixed = false;
        for (int i = 0; i < _attributeCount; i++)
        {
            ref var a = ref _s.Attributes[i];
            if (a.IsDeclaration)
            {
                continue;
            }

            (list ??= new List<XmlAttribute>(_attributeCount)).Add(new XmlAttribute(a.Name, a.Value));
            if (a.Prefix is not (null or "xml"))
            {
                a.Uri = Resolve(a.Prefix);
                prefixed = true;
                CheckUniqueExpandedName(i);
            }
        }

        if (prefixed)
        {
            AddPrefixDeclarations(list!);
        }

        return list;
    }

    // Namespaces in XML forbids two attributes with the same namespace and local name under different prefixes.
    private void CheckUniqueExpandedName(int index)
    {
        ref var a = ref _s.Attributes[index];
        var local = a.LocalName;
        for (int i = 0; i < index; i++)
        {
            ref var other = ref _s.Attributes[i];
            if (other.Uri == a.Uri && other.Uri is not null && other.LocalName.SequenceEqual(local))
            {
                ThrowHelper.NotWellFormed($"Attribute '{a.Name}' duplicates '{other.Name}'.");
            }
        }
    }

    private void AddPrefixDeclarations(List<XmlAttribute> list)
    {
        Span<byte> declaration = stackalloc byte[6 + _limits.MaxNameBytes];
        "xmlns:"u8.CopyTo(declaration);
        for (int i = 0; i < _attributeCount; i++)
        {
            ref var a = ref _s.Attributes[i];
            if (a.Uri is null)
            {
                continue;
            }

            int length = 6 + Encoding.UTF8.GetBytes(a.Prefix, declaration[6..]);
            string name = _strings.Get(declaration[..length], remember: true);
            if (Element.IndexOfAttribute(list, name) < 0)
            {
                list.Add(new XmlAttribute(name, a.Uri));
            }
        }
    }

    /// <summary>Reads and validates a QName; <paramref name="colon"/> is the byte offset of its colon or -1.</summary>
    private ReadOnlySpan<byte> ReadQName(ReadOnlySpan<byte> data, ref int pos, out int colon)
    {
        int length = data[pos..].IndexOfAnyExcept(XmlChars.NameBytes);
        if (length < 0)
        {
            ThrowHelper.UnexpectedEnd();
        }

        if (length == 0)
        {
            ThrowHelper.NotWellFormed("Expected a name.");
        }

        if (length > _limits.MaxNameBytes)
        {
            ThrowHelper.PolicyViolation($"Name longer than {_limits.MaxNameBytes} bytes.");
        }

        var name = data.Slice(pos, length);
        pos += length;
        if (Ascii.IsValid(name))
        {
            colon = XmlChars.ValidateAsciiQName(name);
            return name;
        }

        if (Utf8.ToUtf16(name, _s.NameChars, out _, out int written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            ThrowHelper.InvalidUtf8();
        }

        XmlChars.ValidateQName(_s.NameChars.AsSpan(0, written));
        colon = name.IndexOf((byte)':');
        return name;
    }

    private static void ReadEndTag(ReadOnlySpan<byte> data, ref int pos, ReadOnlySpan<byte> expectedName)
    {
        pos += 2;
        int length = data[pos..].IndexOfAnyExcept(XmlChars.NameBytes);
        if (length < 0)
        {
            ThrowHelper.UnexpectedEnd();
        }

        if (!data.Slice(pos, length).SequenceEqual(expectedName))
        {
            ThrowHelper.NotWellFormed($"End tag does not match <{Encoding.UTF8.GetString(expectedName)}>.");
        }

        pos += length;
        SkipWhitespace(data, ref pos);
        Expect(data, ref pos, '>');
    }

    /// <summary>Decodes character data; the common case (nothing to unescape or normalise) skips the builder.</summary>
    private string MakeString(ReadOnlySpan<byte> raw, CharDataKind kind, bool remember)
    {
        if (!NeedsUnescaping(raw, Stops(kind)))
        {
            return kind == CharDataKind.Attribute && raw.Length <= ShortValue ? _strings.Get(raw, remember) : Decode(raw);
        }

        var builder = new CharBuilder(stackalloc char[256]);
        try
        {
            AppendCharData(raw, ref builder, kind);
            return builder.ToString();
        }
        finally
        {
            builder.Dispose();
        }
    }

    private static string Decode(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            ThrowHelper.InvalidUtf8();
        }

        return Encoding.UTF8.GetString(utf8);
    }

    private static SearchValues<byte> Stops(CharDataKind kind) => kind switch
    {
        CharDataKind.Text => XmlChars.TextStops,
        CharDataKind.Attribute => XmlChars.AttributeStops,
        _ => XmlChars.CdataStops,
    };

    // 0xEF bytes are only a legality check (U+FFFE/U+FFFF); they do not force the slow path.
    private static bool NeedsUnescaping(ReadOnlySpan<byte> raw, SearchValues<byte> stops)
    {
        int search = 0;
        while (true)
        {
            int k = raw[search..].IndexOfAny(stops);
            if (k < 0)
            {
                return false;
            }

            int i = search + k;
            if (raw[i] != 0xEF)
            {
                return true;
            }

            XmlChars.CheckNonCharacter(raw, i);
            search = i + 1;
        }
    }

    /// <summary>Appends character data, resolving references and applying XML line-end and attribute-value normalisation.</summary>
    private static void AppendCharData(ReadOnlySpan<byte> raw, ref CharBuilder builder, CharDataKind kind)
    {
        var stops = Stops(kind);
        int start = 0;
        int search = 0;
        while (true)
        {
            int k = raw[search..].IndexOfAny(stops);
            if (k < 0)
            {
                builder.AppendUtf8(raw[start..]);
                return;
            }

            int i = search + k;
            byte b = raw[i];
            search = i + 1;
            if (b == 0xEF)
            {
                XmlChars.CheckNonCharacter(raw, i);
                continue;
            }

            builder.AppendUtf8(raw[start..i]);
            switch (b)
            {
                case (byte)'&':
                    search = AppendReference(raw, i, ref builder);
                    break;
                case (byte)'>':
                    if (i >= 2 && raw[i - 1] == ']' && raw[i - 2] == ']')
                    {
                        ThrowHelper.NotWellFormed("']]>' is not allowed in text.");
                    }

                    builder.Append('>');
                    break;
                case (byte)'\r':
                    builder.Append(kind == CharDataKind.Attribute ? ' ' : '\n');
                    if (search < raw.Length && raw[search] == '\n')
                    {
                        search++;
                    }

                    break;
                case (byte)'\t' or (byte)'\n':
                    // Only stops in attribute values, where they normalise to spaces.
                    builder.Append(' ');
                    break;
                case (byte)'<':
                    ThrowHelper.NotWellFormed("'<' is not allowed in attribute values.");
                    break;
                default:
                    ThrowHelper.IllegalCharacter();
                    break;
            }

            start = search;
        }
    }

    /// <summary>Appends the character a reference at <paramref name="amp"/> denotes; returns the index after its ';'.</summary>
    private static int AppendReference(ReadOnlySpan<byte> raw, int amp, ref CharBuilder builder)
    {
        var rest = raw[(amp + 1)..];
        int semicolon = rest.IndexOf((byte)';');
        if (semicolon < 0)
        {
            ThrowHelper.NotWellFormed("Unterminated reference.");
        }

        var body = rest[..semicolon];
        if (!body.IsEmpty && body[0] == '#')
        {
            builder.AppendCodePoint(ParseCharacterReference(body[1..]));
        }
        else
        {
            builder.Append(PredefinedEntity(body));
        }

        return amp + semicolon + 2;
    }

    private static char PredefinedEntity(ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual("lt"u8))
        {
            return '<';
        }

        if (name.SequenceEqual("gt"u8))
        {
            return '>';
        }

        if (name.SequenceEqual("amp"u8))
        {
            return '&';
        }

        if (name.SequenceEqual("quot"u8))
        {
            return '"';
        }

        if (name.SequenceEqual("apos"u8))
        {
            return '\'';
        }

        if (!name.IsEmpty && name.IndexOfAnyExcept(XmlChars.NameBytes) < 0 && (name[0] >= 0x80 || XmlChars.IsNameStartChar(name[0])))
        {
            ThrowHelper.RestrictedXml("Only the predefined entities may be referenced.");
        }

        return ThrowHelper.NotWellFormed<char>("Malformed reference.");
    }

    private static int ParseCharacterReference(ReadOnlySpan<byte> digits)
    {
        bool hex = !digits.IsEmpty && digits[0] == 'x';
        if (hex)
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty)
        {
            ThrowHelper.NotWellFormed("Malformed character reference.");
        }

        int value = 0;
        foreach (byte d in digits)
        {
            int digit = d switch
            {
                >= (byte)'0' and <= (byte)'9' => d - '0',
                >= (byte)'a' and <= (byte)'f' when hex => d - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' when hex => d - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                ThrowHelper.NotWellFormed("Malformed character reference.");
            }

            // Checked at every step so long digit strings cannot overflow.
            value = (value * (hex ? 16 : 10)) + digit;
            if (value > 0x10FFFF)
            {
                ThrowHelper.IllegalCharacter();
            }
        }

        if (!XmlChars.IsLegalChar(value))
        {
            ThrowHelper.IllegalCharacter();
        }

        return value;
    }

    private static bool TryReadPseudoAttribute(ReadOnlySpan<byte> data, ref int pos, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        int p = pos;
        if (!SkipWhitespace(data, ref p) || !data[p..].StartsWith(name))
        {
            return false;
        }

        p += name.Length;
        SkipWhitespace(data, ref p);
        Expect(data, ref p, '=');
        SkipWhitespace(data, ref p);
        if (p >= data.Length || data[p] is not ((byte)'"' or (byte)'\''))
        {
            ThrowHelper.NotWellFormed("Declaration values must be quoted.");
        }

        int length = data[(p + 1)..].IndexOf(data[p]);
        if (length < 0)
        {
            ThrowHelper.UnexpectedEnd();
        }

        value = data.Slice(p + 1, length);
        pos = p + length + 2;
        return true;
    }

    private static bool IsXml1Version(ReadOnlySpan<byte> version) =>
        version.Length > 2 && version.StartsWith("1."u8) && version[2..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;

    /// <summary>Skips XML whitespace; returns whether there was any.</summary>
    private static bool SkipWhitespace(ReadOnlySpan<byte> data, ref int pos)
    {
        // Usually there is none or a single space: not worth a vectorised search.
        if (pos < data.Length && data[pos] > ' ')
        {
            return false;
        }

        int skipped = data[pos..].IndexOfAnyExcept(XmlChars.Whitespace);
        if (skipped < 0)
        {
            skipped = data.Length - pos;
        }

        pos += skipped;
        return skipped > 0;
    }

    private static void Expect(ReadOnlySpan<byte> data, ref int pos, char c)
    {
        if (pos >= data.Length || data[pos] != c)
        {
            ThrowHelper.Expected(c);
        }

        pos++;
    }

    /// <summary>
    /// The working arrays of one read. A read runs synchronously from its entry point to its return, so the readers
    /// on one thread take turns with one set: an idle connection's parser holds none of them, which matters with
    /// a hundred thousand mostly idle streams. Every entry point fetches the set again, as a stream's next read may
    /// run on another thread.
    /// </summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? current;

        private Scratch(XmlLimits limits)
        {
            NameChars = new char[limits.MaxNameBytes];
            Attributes = new RawAttribute[limits.MaxAttributes];
            Open = new Element[limits.MaxDepth];
            OpenNameStart = new int[limits.MaxDepth];
            OpenNameLength = new int[limits.MaxDepth];
            OpenScope = new int[limits.MaxDepth];
            OpenDefault = new string[limits.MaxDepth];
        }

        public char[] NameChars { get; }

        public RawAttribute[] Attributes { get; }

        // The open elements of the stanza being read, by depth.
        public Element[] Open { get; }

        public int[] OpenNameStart { get; }

        public int[] OpenNameLength { get; }

        public int[] OpenScope { get; }

        public string[] OpenDefault { get; }

        public static Scratch ForThisThread(XmlLimits limits)
        {
            var scratch = current;
            if (scratch is null || scratch.NameChars.Length < limits.MaxNameBytes
                || scratch.Attributes.Length < limits.MaxAttributes || scratch.Open.Length < limits.MaxDepth)
            {
                scratch = current = new Scratch(limits);
            }

            return scratch;
        }
    }

    private struct RawAttribute(string name, string? prefix, string value, bool isDeclaration)
    {
        public readonly string Name = name;

        /// <summary>The prefix used, or for a declaration the prefix declared (null for <c>xmlns</c> itself).</summary>
        public readonly string? Prefix = prefix;

        public readonly string Value = value;
        public readonly bool IsDeclaration = isDeclaration;

        /// <summary>The namespace of a prefixed attribute, once resolved.</summary>
        public string? Uri;

        public readonly ReadOnlySpan<char> LocalName => Name.AsSpan(Name.IndexOf(':') + 1);
    }
}
