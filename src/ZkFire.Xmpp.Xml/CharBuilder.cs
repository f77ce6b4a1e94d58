using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace ZkFire.Xmpp.Xml;

/// <summary>Accumulates decoded character data that needed unescaping; starts on the stack, grows into pooled arrays.</summary>
internal ref struct CharBuilder
{
    private Span<char> _chars;
    private char[]? _rented;
    private int _length;

    public CharBuilder(Span<char> initial)
    {
        _chars = initial;
        _rented = null;
        _length = 0;
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<char> AsSpan() => _chars[.._length];

    public void Clear() => _length = 0;

    public void Append(char c)
    {
        if (_length == _chars.Length)
        {
            Grow(1);
        }

        _chars[_length++] = c;
    }

    public void AppendCodePoint(int codePoint)
    {
        if (codePoint < 0x10000)
        {
            Append((char)codePoint);
            return;
        }

        if (_length + 2 > _chars.Length)
        {
            Grow(2);
        }

        _length += new Rune(codePoint).EncodeToUtf16(_chars[_length..]);
    }

    /// <summary>Appends UTF-8, refusing ill-formed sequences (including encoded surrogates and overlongs).</summary>
    public void AppendUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return;
        }

        // A UTF-8 sequence never decodes to more UTF-16 code units than it has bytes.
        if (_length + utf8.Length > _chars.Length)
        {
            Grow(utf8.Length);
        }

        if (Utf8.ToUtf16(utf8, _chars[_length..], out _, out int written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            ThrowHelper.InvalidUtf8();
        }

        _length += written;
    }

    public override readonly string ToString() => new(AsSpan());

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
            _rented = null;
        }
    }

    private void Grow(int additional)
    {
        var next = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + additional));
        AsSpan().CopyTo(next);
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
        }

        _rented = next;
        _chars = next;
    }
}
