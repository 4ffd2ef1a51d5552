
namespace Fiscus.Server.StaffApp;

/// <summary>
/// Serves the staff web app (the Blazor WebAssembly project <c>Fiscus.Staff</c>, referenced by this one so that its
/// build and publish carry the app's files) at <c>/</c>: its fingerprinted, pre-compressed files through
/// <c>MapStaticAssets</c>, and <c>index.html</c> for every other GET of a path outside the API's roots, so that a
/// reload or a bookmark of <c>/registers/2</c> opens the app there. Nothing is loaded from elsewhere.
/// </summary>
public static class StaffAppHosting
{
    /// <summary>
    /// The first path segments that belong to the API and its dialects (native and POS shifts under api, Polaris, FOLIO, health,
    /// the metrics): never the app's, so an unknown API path stays a 404 problem and the app must not route under them
    /// (<c>/metrics</c> with FISCUS_METRICS off is a 404, not the app's page).
    /// </summary>
    public static readonly string[] ApiRoots = ["api", "polaris", "payments", "owners", "health", "metrics"];

    public const string RouteConstraint = "staffapp";

    public static bool IsApiPath(PathString path) => ApiRoots.Any(root => path.StartsWithSegments("/" + root, StringComparison.OrdinalIgnoreCase));

    public static IServiceCollection AddStaffApp(this IServiceCollection services) =>
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<StaffAppPathConstraint>(RouteConstraint));

    public static WebApplication MapStaffApp(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapFallbackToFile($"{{*path:nonfile:{RouteConstraint}}}", "index.html");
        return app;
    }

    /// <summary>Matches a catch-all path that is not under one of the <see cref="ApiRoots"/>.</summary>
    sealed class StaffAppPathConstraint : IRouteConstraint
    {
        public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection)
        {
            var path = values.TryGetValue(routeKey, out var value) ? value?.ToString() ?? "" : "";
            var first = path.Split('/', 2)[0];
            return !ApiRoots.Contains(first, StringComparer.OrdinalIgnoreCase);
        }
    }
}
