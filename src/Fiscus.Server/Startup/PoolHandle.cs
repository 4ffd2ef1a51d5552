using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>
/// A pool with a purpose of its own (<see cref="SchemaOwner"/>, <see cref="ReadDatabase"/>): its own when its setting names
/// a database, else the runtime's pool lent to it, which is then not its to dispose.
/// </summary>
public abstract class PoolHandle(NpgsqlDataSource dataSource, bool separate) : IAsyncDisposable, IDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>Whether <see cref="DataSource"/> is a pool of its own rather than the runtime's.</summary>
    protected bool Separate { get; } = separate;

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Separate ? DataSource.DisposeAsync() : ValueTask.CompletedTask;
    }

    // The command line's host is disposed synchronously.
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        if (Separate)
        {
            DataSource.Dispose();
        }
    }
}
