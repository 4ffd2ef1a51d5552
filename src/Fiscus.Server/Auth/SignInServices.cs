namespace Fiscus.Server.Auth;

public static class SignInServices
{
    /// <summary>The sign-in throttle, the memory of verified passwords and the sign-in audit (one of each per process).</summary>
    public static IServiceCollection AddSignIns(this IServiceCollection services)
    {
        services.AddSingleton<SignInCapacity>();
        services.AddSingleton<KnownSignInAddresses>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SignInAudit>();
        services.AddSingleton<VerifiedPasswords>();
        services.AddSingleton<SignIns>();
        services.AddHostedService<SignInAuditFlush>();
        return services;
    }
}
