using System.Runtime.InteropServices;
using System.Text;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>
/// fsync of a directory, so that a file just created or renamed in it survives a power loss: POSIX makes the
/// directory entry durable only when the directory itself is synced, and .NET has no API for it.
/// </summary>
internal static partial class DirectorySync
{
    public static void Flush(string directory)
    {
        // Windows cannot open a directory for flushing, and NTFS journals the entry with the file's own metadata.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A NUL-terminated UTF-8 path, as the kernel takes it.
        var path = new byte[Encoding.UTF8.GetByteCount(directory) + 1];
        Encoding.UTF8.GetBytes(directory, path);
        var fd = NativeMethods.Open(path, 0 /* O_RDONLY, the same value on every Unix */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (NativeMethods.FSync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private static class NativeMethods
    {
        // DllImport rather than LibraryImport: the generated marshalling needs AllowUnsafeBlocks in the project.
#pragma warning disable SYSLIB1054
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int FSync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
#pragma warning restore SYSLIB1054
    }
}
