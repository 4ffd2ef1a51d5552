using Dapper;
using Npgsql;

namespace Fiscus.Server.Http;

/// <summary>One page of a list and the total it was cut from (for X-Total-Count), in one snapshot.</summary>
public static class PagedQuery
{
    /// <param name="select">The column list.</param>
    /// <param name="from">Everything from <c>FROM</c> up to (not including) ORDER BY, filters included.</param>
    /// <param name="orderBy">A total order, so pages neither skip nor repeat rows.</param>
    public static async Task<(IReadOnlyList<T> Rows, long Total)> RunAsync<T>(
        NpgsqlDataSource db, string select, string from, string orderBy, object? parameters, long offset, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // Repeatable read: the count and the page see the same rows even while others write.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var arguments = new DynamicParameters(parameters);
        arguments.Add("PageOffset", offset);
        arguments.Add("PageLimit", limit);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) {from}", arguments, transaction, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<T>(new CommandDefinition(
            $"SELECT {select} {from} ORDER BY {orderBy} OFFSET @PageOffset LIMIT @PageLimit", arguments, transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (rows.AsList(), total);
    }

    /// <summary>
    /// A page of a filtered list: <paramref name="where"/> is the list's own condition, <paramref name="filter"/> the
    /// request's ("TRUE" for none); the base total counts the rows the list's condition alone admits.
    /// </summary>
    public static async Task<Page<T>> RunAsync<T>(
        NpgsqlDataSource db, string select, string from, string where, string filter, string orderBy, DynamicParameters arguments,
        Paging paging, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        arguments.Add("PageOffset", paging.Offset);
        arguments.Add("PageLimit", paging.PerPage);
        var unfiltered = filter == "TRUE";
        var condition = unfiltered ? where : $"({where}) AND ({filter})";
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) {from} WHERE {condition}", arguments, transaction, cancellationToken: cancellationToken));
        var baseTotal = unfiltered ? total : await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) {from} WHERE {where}", arguments, transaction, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<T>(new CommandDefinition(
            $"SELECT {select} {from} WHERE {condition} ORDER BY {orderBy} OFFSET @PageOffset LIMIT @PageLimit", arguments, transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new Page<T>(rows.AsList(), total, baseTotal);
    }

    public static Task<(IReadOnlyList<T> Rows, long Total)> RunAsync<T>(
        NpgsqlDataSource db, string select, string from, string orderBy, object? parameters, Paging paging,
        CancellationToken cancellationToken) =>
        RunAsync<T>(db, select, from, orderBy, parameters, paging.Offset, paging.PerPage, cancellationToken);
}

/// <summary>One page of rows, how many match the request, and how many the list holds before the request's filters.</summary>
public sealed record Page<T>(IReadOnlyList<T> Rows, long Total, long BaseTotal);
