namespace ZkFire.Jute;

/// <summary>The flags field of CreateRequest/CreateTTLRequest.</summary>
public enum CreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
    Container = 4,
    PersistentWithTtl = 5,
    PersistentSequentialWithTtl = 6,
}

public static class CreateModeExtensions
{
    extension(CreateMode mode)
    {
        public bool IsEphemeral => mode is CreateMode.Ephemeral or CreateMode.EphemeralSequential;

        public bool IsSequential => mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential
            or CreateMode.PersistentSequentialWithTtl;

        public bool IsContainer => mode is CreateMode.Container;

        public bool IsTtl => mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;

        /// <summary>The mode a wire flag names, or null for a flag ZooKeeper rejects (BadArguments).</summary>
        public static CreateMode? FromFlag(int flag) =>
            flag is >= (int)CreateMode.Persistent and <= (int)CreateMode.PersistentSequentialWithTtl ? (CreateMode)flag : null;
    }
}
