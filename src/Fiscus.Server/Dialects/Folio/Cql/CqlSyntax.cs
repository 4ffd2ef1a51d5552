using System.Text;

namespace Fiscus.Server.Dialects.Folio.Cql;

/// <summary>A CQL query the server cannot run: what is wrong, and the 1-based column where it was found.</summary>
public sealed class CqlException(string message, int column) : Exception(message)
{
    public int Column { get; } = column;
}

enum TokenKind
{
    Word,
    Quoted,
    Symbol,
    LeftParen,
    RightParen,
    Slash,
    End,
}

/// <summary>
/// A CQL token. <see cref="Text"/> is a word's or quoted string's content with CQL's backslash escapes kept (they
/// decide whether <c>*</c>, <c>?</c> and <c>^</c> are wildcards), or a relation symbol.
/// </summary>
readonly record struct Token(TokenKind Kind, string Text, int Column)
{
    public bool IsWord(string keyword) => Kind == TokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    public bool IsTerm => Kind is TokenKind.Word or TokenKind.Quoted;
}

/// <summary>CQL's lexical grammar (LOC's CQL 1.2): words, "quoted strings" with backslash escapes, parentheses, /, relation symbols.</summary>
static class CqlLexer
{
    public static List<Token> Tokenize(string query)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < query.Length && char.IsWhiteSpace(query[i]))
            {
                i++;
            }
            if (i >= query.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", query.Length + 1));
                return tokens;
            }
            var start = i;
            var c = query[i];
            switch (c)
            {
                case '(':
                    tokens.Add(new Token(TokenKind.LeftParen, "(", start + 1));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new Token(TokenKind.RightParen, ")", start + 1));
                    i++;
                    continue;
                case '/':
                    tokens.Add(new Token(TokenKind.Slash, "/", start + 1));
                    i++;
                    continue;
                case '=':
                    i += i + 1 < query.Length && query[i + 1] == '=' ? 2 : 1;
                    tokens.Add(new Token(TokenKind.Symbol, query[start..i], start + 1));
                    continue;
                case '<':
                    i += i + 1 < query.Length && query[i + 1] is '=' or '>' ? 2 : 1;
                    tokens.Add(new Token(TokenKind.Symbol, query[start..i], start + 1));
                    continue;
                case '>':
                    i += i + 1 < query.Length && query[i + 1] == '=' ? 2 : 1;
                    tokens.Add(new Token(TokenKind.Symbol, query[start..i], start + 1));
                    continue;
                case '"':
                {
                    var text = new StringBuilder();
                    i++;
                    while (true)
                    {
                        if (i >= query.Length)
                        {
                            throw new CqlException("unterminated quoted string", start + 1);
                        }
                        if (query[i] == '\\')
                        {
                            if (i + 1 >= query.Length)
                            {
                                throw new CqlException("unterminated quoted string", start + 1);
                            }
                            // \" is a quote; every other escape is kept for the term to read.
                            if (query[i + 1] == '"')
                            {
                                text.Append('"');
                            }
                            else
                            {
                                text.Append(query, i, 2);
                            }
                            i += 2;
                            continue;
                        }
                        if (query[i] == '"')
                        {
                            i++;
                            break;
                        }
                        text.Append(query[i++]);
                    }
                    tokens.Add(new Token(TokenKind.Quoted, text.ToString(), start + 1));
                    continue;
                }
                default:
                    while (i < query.Length && !char.IsWhiteSpace(query[i]) && query[i] is not ('(' or ')' or '=' or '<' or '>' or '/' or '"'))
                    {
                        i += query[i] == '\\' && i + 1 < query.Length ? 2 : 1;
                    }
                    tokens.Add(new Token(TokenKind.Word, query[start..i], start + 1));
                    continue;
            }
        }
    }
}

public sealed record CqlModifier(string Name, string? Comparison, string? Value, int Column);

public abstract record CqlNode;

/// <summary><c>left op right</c>: and, or, not (and-not); CQL gives them one precedence, left to right.</summary>
public sealed record CqlBoolean(string Operator, CqlNode Left, CqlNode Right) : CqlNode;

/// <summary><c>index relation term</c>; a bare term searches <c>cql.serverChoice</c>.</summary>
public sealed record CqlSearch(string Index, int IndexColumn, string Relation, IReadOnlyList<CqlModifier> Modifiers, string Term, int TermColumn) : CqlNode;

public sealed record CqlSortKey(string Index, int Column, bool Descending);

public sealed record CqlQuery(CqlNode Where, IReadOnlyList<CqlSortKey> SortBy);

/// <summary>
/// A recursive-descent parser for CQL: boolean clauses (and, or, not, prox) of equal precedence associating to
/// the left, parentheses, <c>index relation[/modifiers] term</c>, FOLIO's value lists (<c>index==(a or b)</c>) and
/// <c>sortby index[/sort.ascending|/sort.descending] ...</c>.
/// </summary>
public static class CqlParser
{
    static readonly HashSet<string> WordRelations = new(StringComparer.OrdinalIgnoreCase) { "adj", "all", "any", "exact", "within", "encloses" };
    static readonly HashSet<string> Booleans = new(StringComparer.OrdinalIgnoreCase) { "and", "or", "not", "prox" };

    public static CqlQuery Parse(string query)
    {
        var tokens = CqlLexer.Tokenize(query);
        var position = 0;
        if (tokens[0].Kind == TokenKind.End)
        {
            throw new CqlException("empty query", 1);
        }
        var where = ParseBoolean(tokens, ref position);
        var sort = new List<CqlSortKey>();
        if (tokens[position].IsWord("sortby"))
        {
            position++;
            if (tokens[position].Kind != TokenKind.Word)
            {
                throw new CqlException("sortby needs an index to sort by", tokens[position].Column);
            }
            while (tokens[position].Kind == TokenKind.Word)
            {
                var index = tokens[position++];
                var descending = false;
                foreach (var modifier in ParseModifiers(tokens, ref position))
                {
                    descending = modifier.Name.ToLowerInvariant() switch
                    {
                        "sort.ascending" or "ascending" => false,
                        "sort.descending" or "descending" => true,
                        // Accepted as FOLIO does; text sorts ignore case and accents, and no sortable index is numeric.
                        "sort.ignorecase" or "sort.respectcase" or "ignorecase" or "respectcase" or "sort.ignoreaccents" or "sort.respectaccents"
                            or "string" or "sort.string" or "number" or "sort.number" => descending,
                        _ => throw new CqlException($"unsupported sort modifier '{modifier.Name}'", modifier.Column),
                    };
                }
                sort.Add(new CqlSortKey(index.Text, index.Column, descending));
            }
        }
        if (tokens[position].Kind != TokenKind.End)
        {
            throw new CqlException($"unexpected '{tokens[position].Text}'", tokens[position].Column);
        }
        return new CqlQuery(where, sort);
    }

    static CqlNode ParseBoolean(List<Token> tokens, ref int position)
    {
        var left = ParseClause(tokens, ref position);
        while (tokens[position].Kind == TokenKind.Word && Booleans.Contains(tokens[position].Text))
        {
            var op = tokens[position++];
            var modifiers = ParseModifiers(tokens, ref position);
            if (op.IsWord("prox") || modifiers.Count > 0)
            {
                throw new CqlException($"unsupported boolean '{op.Text}{(modifiers.Count > 0 ? "/" + modifiers[0].Name : "")}'", op.Column);
            }
            var right = ParseClause(tokens, ref position);
            left = new CqlBoolean(op.Text.ToLowerInvariant(), left, right);
        }
        return left;
    }

    static CqlNode ParseClause(List<Token> tokens, ref int position)
    {
        var token = tokens[position];
        if (token.Kind == TokenKind.LeftParen)
        {
            position++;
            var inner = ParseBoolean(tokens, ref position);
            Expect(tokens, ref position, TokenKind.RightParen, "')'");
            return inner;
        }
        if (!token.IsTerm)
        {
            throw new CqlException(token.Kind == TokenKind.End ? "the query ends where a search term was expected" : $"unexpected '{token.Text}'",
                token.Column);
        }
        var next = tokens[position + 1];
        var isRelation = next.Kind == TokenKind.Symbol || (next.Kind == TokenKind.Word && WordRelations.Contains(next.Text)
                                                                 && tokens[position + 2].Kind != TokenKind.End);
        if (token.Kind == TokenKind.Word && isRelation)
        {
            var index = tokens[position];
            position++;
            var relation = tokens[position++].Text.ToLowerInvariant();
            var modifiers = ParseModifiers(tokens, ref position);
            if (tokens[position].Kind == TokenKind.LeftParen)
            {
                // FOLIO's value list: index==(a or b or c).
                var open = tokens[position++];
                var list = ParseValueList(tokens, ref position, index, relation, modifiers);
                Expect(tokens, ref position, TokenKind.RightParen, "')'");
                return list ?? throw new CqlException("empty value list", open.Column);
            }
            var term = tokens[position];
            if (!term.IsTerm)
            {
                throw new CqlException(term.Kind == TokenKind.End ? "the query ends where a search term was expected" : $"unexpected '{term.Text}'",
                    term.Column);
            }
            position++;
            return new CqlSearch(index.Text, index.Column, relation, modifiers, term.Text, term.Column);
        }
        position++;
        return new CqlSearch("cql.serverChoice", token.Column, "=", [], token.Text, token.Column);
    }

    static CqlNode? ParseValueList(List<Token> tokens, ref int position, Token index, string relation, IReadOnlyList<CqlModifier> modifiers)
    {
        CqlNode? list = null;
        string? op = null;
        while (true)
        {
            var token = tokens[position];
            CqlNode item;
            if (token.Kind == TokenKind.LeftParen)
            {
                position++;
                item = ParseValueList(tokens, ref position, index, relation, modifiers) ?? throw new CqlException("empty value list", token.Column);
                Expect(tokens, ref position, TokenKind.RightParen, "')'");
            }
            else if (token.IsTerm)
            {
                position++;
                item = new CqlSearch(index.Text, index.Column, relation, modifiers, token.Text, token.Column);
            }
            else
            {
                throw new CqlException(token.Kind == TokenKind.End ? "the query ends inside a value list" : $"unexpected '{token.Text}'", token.Column);
            }
            list = list is null ? item : new CqlBoolean(op!, list, item);
            if (tokens[position].Kind == TokenKind.Word && tokens[position].Text.ToLowerInvariant() is "or" or "and" or "not")
            {
                op = tokens[position++].Text.ToLowerInvariant();
                continue;
            }
            return list;
        }
    }

    static List<CqlModifier> ParseModifiers(List<Token> tokens, ref int position)
    {
        var modifiers = new List<CqlModifier>();
        while (tokens[position].Kind == TokenKind.Slash)
        {
            position++;
            var name = tokens[position];
            if (name.Kind != TokenKind.Word)
            {
                throw new CqlException("a modifier name must follow '/'", name.Column);
            }
            position++;
            string? comparison = null, value = null;
            if (tokens[position].Kind == TokenKind.Symbol && tokens[position + 1].IsTerm)
            {
                comparison = tokens[position].Text;
                value = tokens[position + 1].Text;
                position += 2;
            }
            modifiers.Add(new CqlModifier(name.Text, comparison, value, name.Column));
        }
        return modifiers;
    }

    static void Expect(List<Token> tokens, ref int position, TokenKind kind, string what)
    {
        if (tokens[position].Kind != kind)
        {
            throw new CqlException(tokens[position].Kind == TokenKind.End ? $"the query ends where {what} was expected" : $"expected {what}, found '{tokens[position].Text}'",
                tokens[position].Column);
        }
        position++;
    }
}
