namespace ZkFire.Jute.Tests;

public class ZnodePathTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/a")]
    [InlineData("/a/b/c")]
    [InlineData("/zookeeper/config")]
    [InlineData("/a.")]
    [InlineData("/.a")]
    [InlineData("/a..")]
    [InlineData("/..a")]
    [InlineData("/...")]
    [InlineData("/a/.../b")]
    [InlineData("/a b")]
    [InlineData("/é/中文")]
    [InlineData("/\u00a0")]
    [InlineData("/\uf900")]
    [InlineData("/\uffef")]
    public void Valid_paths(string path)
    {
        Assert.Null(ZnodePath.Validate(path));
        ZnodePath.ThrowIfInvalid(path);
    }

    [Theory]
    [InlineData(null, "Path cannot be null")]
    [InlineData("", "Path length must be > 0")]
    [InlineData("a", "Path must start with / character")]
    [InlineData("a/b", "Path must start with / character")]
    [InlineData("/a/", "Path must not end with / character")]
    [InlineData("//", "Path must not end with / character")]
    [InlineData("//a", "Invalid path string \"//a\" caused by empty node name specified @1")]
    [InlineData("/a//b", "Invalid path string \"/a//b\" caused by empty node name specified @3")]
    [InlineData("/.", "Invalid path string \"/.\" caused by relative paths not allowed @1")]
    [InlineData("/..", "Invalid path string \"/..\" caused by relative paths not allowed @2")]
    [InlineData("/a/./b", "Invalid path string \"/a/./b\" caused by relative paths not allowed @3")]
    [InlineData("/a/../b", "Invalid path string \"/a/../b\" caused by relative paths not allowed @4")]
    [InlineData("/a/..", "Invalid path string \"/a/..\" caused by relative paths not allowed @4")]
    [InlineData("/a\0b", "Invalid path string \"/a\0b\" caused by null character not allowed @2")]
    [InlineData("/\u0001", "Invalid path string \"/\u0001\" caused by invalid character @1")]
    [InlineData("/\u001f", "Invalid path string \"/\u001f\" caused by invalid character @1")]
    [InlineData("/\u007f", "Invalid path string \"/\u007f\" caused by invalid character @1")]
    [InlineData("/\u009f", "Invalid path string \"/\u009f\" caused by invalid character @1")]
    [InlineData("/a\ud800", "Invalid path string \"/a\ud800\" caused by invalid character @2")]
    [InlineData("/\uf8ff", "Invalid path string \"/\uf8ff\" caused by invalid character @1")]
    [InlineData("/\ufff0", "Invalid path string \"/\ufff0\" caused by invalid character @1")]
    [InlineData("/\uffff", "Invalid path string \"/\uffff\" caused by invalid character @1")]
    [InlineData("/\ufffd", "Invalid path string \"/\ufffd\" caused by invalid character @1")]
    public void Invalid_paths_give_pathutils_reason(string? path, string reason)
    {
        Assert.Equal(reason, ZnodePath.Validate(path));
        Assert.Equal(reason, Assert.Throws<ArgumentException>(() => ZnodePath.ThrowIfInvalid(path)).Message.Split(" (Parameter")[0]);
    }

    [Fact]
    public void Emoji_and_private_use_characters_are_refused()
    {
        Assert.NotNull(ZnodePath.Validate("/smile\U0001F600"));
        Assert.NotNull(ZnodePath.Validate("/\ue000"));
    }

    [Theory]
    [InlineData("/parent/", null)]
    [InlineData("/parent/lock-", null)]
    [InlineData("/", null)]
    [InlineData("/a//", "Invalid path string \"/a//1\" caused by empty node name specified @3")]
    [InlineData("/.", null)]
    [InlineData("/a/../", "Invalid path string \"/a/../1\" caused by relative paths not allowed @4")]
    [InlineData("", "Path must start with / character")]
    public void Sequential_prefixes_are_checked_with_a_digit_appended(string path, string? reason) =>
        Assert.Equal(reason, ZnodePath.Validate(path, sequential: true));

    [Theory]
    [InlineData("/a/b", "/a", "b")]
    [InlineData("/a", "/", "a")]
    [InlineData("/", null, "")]
    [InlineData("/x/y/zz", "/x/y", "zz")]
    public void Parent_and_name(string path, string? parent, string name)
    {
        Assert.Equal(parent, ZnodePath.Parent(path));
        Assert.Equal(name, ZnodePath.Name(path));
        if (parent is not null)
        {
            Assert.Equal(path, ZnodePath.Join(parent, name));
        }
    }

    [Theory]
    [InlineData("/p/n-", 0, "/p/n-0000000000")]
    [InlineData("/p/", 2, "/p/0000000002")]
    [InlineData("/p/", int.MaxValue, "/p/2147483647")]
    [InlineData("/p/", -1, "/p/-000000001")]
    [InlineData("/p/", int.MinValue, "/p/-2147483648")]
    public void Sequence_suffix_is_javas_percent_010d(string prefix, int counter, string expected) =>
        Assert.Equal(expected, ZnodePath.AppendSequence(prefix, counter));
}
