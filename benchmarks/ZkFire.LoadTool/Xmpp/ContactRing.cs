namespace ZkFire.LoadTool.Xmpp;

/// <summary>
/// Who is whose contact: users 0..N-1 on a ring, each with exactly K contacts, symmetric (a contact's contact is the
/// user). User i has users i±1 .. i±K/2 (mod N); for an odd K also the user opposite, i+N/2, which needs an even N.
/// </summary>
internal sealed class ContactRing
{
    /// <summary>Contact position per ring distance (j - i) mod N: -1 when j is not a contact of i.</summary>
    private readonly int[] positionOfDistance;

    /// <summary>The ring distances (j - i) mod N of a user's contacts, by contact position.</summary>
    private readonly int[] distances;

    public ContactRing(int users, int contacts)
    {
        if (contacts >= users)
        {
            throw new ArgumentException($"--contacts ({contacts}) must be below --users ({users})");
        }

        if (contacts % 2 == 1 && users % 2 == 1)
        {
            throw new ArgumentException($"an odd --contacts ({contacts}) needs an even --users (each user's extra contact is the one opposite on the ring)");
        }

        Users = users;
        Contacts = contacts;
        positionOfDistance = new int[users];
        Array.Fill(positionOfDistance, -1);
        distances = new int[contacts];
        var position = 0;
        for (var d = 1; d <= contacts / 2; d++)
        {
            distances[position] = d;
            positionOfDistance[d] = position++;
            distances[position] = users - d;
            positionOfDistance[users - d] = position++;
        }

        if (contacts % 2 == 1)
        {
            distances[position] = users / 2;
            positionOfDistance[users / 2] = position;
        }
    }

    public int Users { get; }

    public int Contacts { get; }

    /// <summary>The <paramref name="position"/>th contact of <paramref name="user"/>.</summary>
    public int Contact(int user, int position) => (user + distances[position]) % Users;

    /// <summary>Where <paramref name="other"/> is among <paramref name="user"/>'s contacts; -1 when it is not one.</summary>
    public int PositionOf(int user, int other) => positionOfDistance[(other - user + Users) % Users];
}
