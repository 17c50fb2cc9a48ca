// A real OpenID provider (panva's oidc-provider) on loopback, for the OAuth/OIDC tests.
// env: PORT, OIDC_CLIENTS (JSON list of client metadata), ACCESS_TTL (seconds), OIDC_JWKS
// (a JSON private key set to sign with; restarting with another one is a key rotation),
// REFRESH_EXPIRES_IN (seconds: token responses carrying a refresh token say how long it
// lives, as Keycloak's refresh_expires_in does).
// Test-only controls on the same port, each kept until changed: POST /__control with
//   delay=MS            token endpoint delay;
//   email_verified=B    what accounts say of their address ("true" or "false");
//   id_token_aud=A,B    ID tokens name these audiences ("" = the client alone, as by default);
//   id_token_azp=ID     ID tokens carry this azp ("" = none, as by default);
//   jwks_cache_control=V  the JWKS answers with this Cache-Control ("" = none, as by default).
// GET /__stats (token endpoint grants by type, successes and errors; JWKS fetches).
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || "[]");
const stats = { authorization_code: 0, refresh_token: 0, errors: 0, jwks: 0 };
const control = { delay: 0, email_verified: true, id_token_aud: "", id_token_azp: "", jwks_cache_control: "" };

const provider = new Provider(issuer, {
  clients,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  scopes: ["openid", "offline_access", "email", "profile"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: `User ${sub}`, email: `${sub}@example.test`, email_verified: control.email_verified }),
  }),
  ttl: { AccessToken: Number(process.env.ACCESS_TTL || 60), IdToken: 300, RefreshToken: 3600 },
  cookies: { keys: ["oidc-test-cookie-key-0123456789"] },
  ...(process.env.OIDC_JWKS ? { jwks: JSON.parse(process.env.OIDC_JWKS) } : {}),
});

// ID tokens with other audiences or an azp: what a provider issuing a token for several
// clients (OIDC Core 3.1.3.7) sends. oidc-provider signs them itself, with its own keys; only
// the client it sees while issuing names more audiences.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issueWithAudiences(options = {}) {
  if (options.use !== "idtoken") return issue.call(this, options);
  if (control.id_token_azp) this.set("azp", control.id_token_azp);
  if (control.id_token_aud) {
    const audiences = control.id_token_aud.split(",");
    const client = this.client;
    this.client = new Proxy(client, {
      get: (target, name) => {
        if (name === "clientId") return audiences;
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    try {
      return await issue.call(this, options);
    } finally {
      this.client = client;
    }
  }
  return issue.call(this, options);
};

provider.on("grant.success", (ctx) => {
  const type = ctx.oidc.params.grant_type;
  stats[type] = (stats[type] || 0) + 1;
});
provider.on("grant.error", () => { stats.errors += 1; });
provider.on("server_error", (ctx, err) => { console.error("server_error", err); });

provider.use(async (ctx, next) => {
  if (ctx.path === "/__stats") {
    ctx.body = stats;
    return;
  }
  if (ctx.path === "/__control" && ctx.method === "POST") {
    const q = ctx.query;
    if ("delay" in q) control.delay = Number(q.delay || 0);
    if ("email_verified" in q) control.email_verified = q.email_verified !== "false";
    for (const name of ["id_token_aud", "id_token_azp", "jwks_cache_control"]) {
      if (name in q) control[name] = String(q[name]);
    }
    ctx.body = control;
    return;
  }
  if (ctx.path === "/jwks") stats.jwks += 1;
  if (ctx.path === "/token" && control.delay) {
    await new Promise((resolve) => setTimeout(resolve, control.delay));
  }
  await next();
  if (ctx.path === "/jwks" && control.jwks_cache_control) {
    ctx.set("cache-control", control.jwks_cache_control);
  }
  const refreshLife = Number(process.env.REFRESH_EXPIRES_IN || 0);
  if (ctx.path === "/token" && refreshLife && ctx.body && ctx.body.refresh_token) {
    ctx.body = { ...ctx.body, refresh_expires_in: refreshLife };
  }
});

const server = provider.listen(port, "127.0.0.1", () => console.log(`READY ${issuer}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
