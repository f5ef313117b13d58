// The OAuth 2.0 pieces of the app, run in the browser itself: PKCE with
// WebCrypto (RFC 7636), the token endpoint as a public client (RFC 6749
// §4.1.3, no secret), and calls with a bearer token (RFC 6750). Tokens are
// passed in and out; nothing here stores them.

// b64url encodes bytes as base64url without padding (RFC 7636 Appendix A).
export function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// randomString returns n random bytes from the browser's CSPRNG, base64url.
export function randomString(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

// sha256 returns BASE64URL(SHA-256(text)): the S256 code_challenge of a
// code_verifier (RFC 7636 §4.2).
export async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return b64url(new Uint8Array(digest));
}

// atHash is the at_hash an ID token signed with RS256 or ES256 carries for
// its access token: the left half of its SHA-256 (OIDC Core §3.1.3.6).
export async function atHash(accessToken) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken)));
  return b64url(digest.slice(0, 16));
}

// short shows the start and the end of a token, never the whole of it.
export function short(token) {
  if (!token) return "(none)";
  if (token.length <= 24) return "*".repeat(token.length);
  return `${token.slice(0, 10)}…${token.slice(-6)} (${token.length} chars)`;
}

// decodeJWT reads a JWT's header and claims without checking anything.
export function decodeJWT(token) {
  const part = (s) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));
  const [header, claims] = token.split(".");
  return { header: part(header), claims: part(claims) };
}

// request makes one cross-origin call and returns its status, the
// WWW-Authenticate challenge the server exposes, and the JSON body (or
// the text). A network or CORS failure is returned, not thrown.
export async function request(url, init = {}) {
  let resp;
  try {
    resp = await fetch(url, { cache: "no-store", ...init });
  } catch (e) {
    return { status: 0, challenge: "", body: null, failure: `${e.name}: the browser refused the request or could not reach ${new URL(url).origin}` };
  }
  const text = await resp.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a text body, such as the middleware's description of a refusal
  }
  return { status: resp.status, challenge: resp.headers.get("WWW-Authenticate") || "", body, failure: "" };
}

// postForm posts form-encoded parameters, as the token and revocation
// endpoints take them. The body is a CORS-safelisted type, so no
// preflight is needed; the issuer names the app's origin in its answer.
export function postForm(url, params) {
  return request(url, { method: "POST", body: new URLSearchParams(params) });
}

// bearer calls an API with an access token in the Authorization header,
// the only place RFC 6750 §2.1 needs: the browser preflights it.
export function bearer(url, token, init = {}) {
  return request(url, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` } });
}
