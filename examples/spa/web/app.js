// The profile app: a single-page app that signs the user in with the
// authorization code flow and PKCE, run in the browser as a public client,
// calls the team's API with the access token, and lets the user connect a
// third-party analytics service. Tokens live in this module's memory only,
// never in localStorage or sessionStorage (the OAuth browser-based apps
// BCP's advice): a reload forgets them. Only the sign-in in progress (the
// PKCE code_verifier, state and nonce, single-use) survives the trip to
// the issuer, in sessionStorage, and is removed on return.

import { atHash, bearer, decodeJWT, postForm, randomString, request, sha256, short } from "./oauth.js";
import { el, logStep, restore, saved } from "./story.js";

const FLOW = "sign-in in progress";
const $ = (id) => document.getElementById(id);

let cfg; // the origins, from /config.json
let meta; // the issuer's metadata (OpenID Connect Discovery), fetched cross-origin
let tokens = null; // { access, refresh, id, expiresAt, scope }: memory only
let waitingForAnalytics = null; // the poll while the user connects analytics

const time = (t) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
const line = (r) => (r.failure ? r.failure : `${r.status}${r.challenge ? `, WWW-Authenticate: ${r.challenge}` : ""}`);

async function start() {
  cfg = (await request("/config.json")).body;
  $("connect-analytics").href = `${cfg.analytics}/connect`;
  $("manage-apps").href = `${cfg.issuer}/connected-apps`;
  const q = new URLSearchParams(location.search);
  const back = q.has("code") || q.has("state") || q.has("error");
  if (back) history.replaceState(null, "", location.pathname); // the code leaves the address bar and the history at once
  const flow = back ? takeFlow() : null;
  if (flow) restore(flow.steps);
  if (!(await discover())) return;
  if (back) await returnFromIssuer(q, flow);
  else logStep({ id: "loaded", kind: "info", title: "The app is loaded, nobody is signed in", why: "Sign in: the app sends you to the issuer, which asks for your password; the app never sees it." });
  wire();
  await showAnalytics();
}

// discover reads the issuer's metadata: a cross-origin GET that the issuer
// answers with Access-Control-Allow-Origin for this app's origin.
async function discover() {
  const url = `${cfg.issuer}/.well-known/openid-configuration`;
  const r = await request(url);
  if (r.status !== 200) {
    logStep({ id: "discovery", kind: "error", title: "The issuer's metadata could not be read", sent: [`GET ${url}`], got: [line(r)] });
    return false;
  }
  meta = r.body;
  return true;
}

// signIn starts the authorization code flow (RFC 6749 §4.1.1) with PKCE:
// a random code_verifier stays here, its S256 challenge goes out; a random
// state must come back unchanged (against CSRF), a random nonce must be in
// the ID token (against replayed ID tokens).
async function signIn() {
  const verifier = randomString(32), state = randomString(16), nonce = randomString(16);
  const challenge = await sha256(verifier);
  const params = {
    response_type: "code", client_id: cfg.client_id, redirect_uri: cfg.redirect_uri, scope: cfg.scope,
    state, nonce, code_challenge: challenge, code_challenge_method: "S256",
  };
  logStep({
    id: "authorize", kind: "ok", title: "Off to the issuer to sign in",
    why: "The code_verifier stays in this tab; only its SHA-256 goes out. The state must come back unchanged, the nonce must be in the ID token.",
    sent: [`GET ${meta.authorization_endpoint}`, ...Object.entries(params).map(([k, v]) => `  ${k}=${v}`), `code_verifier (kept here) ${short(verifier)}`],
  });
  sessionStorage.setItem(FLOW, JSON.stringify({ verifier, state, nonce, steps: saved() }));
  location.assign(`${meta.authorization_endpoint}?${new URLSearchParams(params)}`);
}

// takeFlow returns the sign-in in progress and forgets it: a state and a
// code_verifier are good for one redirect only.
function takeFlow() {
  const raw = sessionStorage.getItem(FLOW);
  sessionStorage.removeItem(FLOW);
  return raw ? JSON.parse(raw) : null;
}

// returnFromIssuer checks the redirect before anything is sent: a sign-in
// of this tab must be in progress, the state must be the one it sent, the
// issuer the one it asked (RFC 9207).
async function returnFromIssuer(q, flow) {
  const got = [...q.entries()].map(([k, v]) => `  ${k}=${k === "code" ? short(v) : v}`);
  const refuse = (title, why) => {
    logStep({ id: "redirect", kind: "refused", title, why, got: [`GET ${cfg.redirect_uri}?…`, ...got] });
    alertUser(title);
  };
  if (!flow) return refuse("Refused: no sign-in is in progress in this tab", "This redirect answers no request of this tab: a code replayed from the browser's history, or a link from someone else. Its code is not sent to the issuer.");
  if (q.get("state") !== flow.state) return refuse("Refused: the state is not the one this tab sent", `This tab sent state ${flow.state} and got ${q.get("state") || "none"} back: a forged redirect (CSRF) would bring someone else's code. It is not exchanged.`);
  if (q.has("iss") && q.get("iss") !== cfg.issuer) return refuse("Refused: the redirect names another issuer", "RFC 9207: a mix-up attack would bring a code from another issuer.");
  if (q.has("error")) return refuse(`The issuer answered ${q.get("error")}`, q.get("error_description") || "");
  logStep({ id: "redirect", kind: "ok", title: "Back from the issuer with a code; the state matches", why: "The code is single-use, short-lived, and bound to this app, its redirect URI and the code_challenge.", got: [`GET ${cfg.redirect_uri}?…`, ...got] });
  await exchange(q.get("code"), flow);
}

// exchange redeems the code at the token endpoint, from the browser, as a
// public client: client_id and code_verifier, no secret (RFC 7636 §4.5).
async function exchange(code, flow) {
  const params = { grant_type: "authorization_code", code, redirect_uri: cfg.redirect_uri, client_id: cfg.client_id, code_verifier: flow.verifier };
  const r = await postForm(meta.token_endpoint, params);
  const sent = [`POST ${meta.token_endpoint}`, `  grant_type=authorization_code code=${short(code)}`, `  redirect_uri=${cfg.redirect_uri} client_id=${cfg.client_id}`, `  code_verifier=${short(flow.verifier)}`];
  if (r.status !== 200) {
    logStep({ id: "exchange", kind: "refused", title: "The issuer refused the code", sent, got: [line(r), JSON.stringify(r.body)] });
    return;
  }
  const t = r.body;
  const problem = await checkIDToken(t.id_token, t.access_token, flow.nonce);
  if (problem) {
    logStep({ id: "exchange", kind: "refused", title: `The ID token is refused: ${problem}`, sent });
    return;
  }
  tokens = { access: t.access_token, refresh: t.refresh_token, id: t.id_token, expiresAt: Date.now() + t.expires_in * 1000, scope: t.scope };
  logStep({
    id: "exchange", kind: "ok", title: "Code and code_verifier exchanged for tokens, kept in memory",
    why: "The ID token says who signed in, for this app; the access token says what this app may do at the API. The ID token's iss, aud, nonce, exp and at_hash are checked; it came straight from the token endpoint, so its signature may go unchecked (OIDC Core §3.1.3.7).",
    sent,
    got: [`200 access_token ${short(t.access_token)}`, `    refresh_token ${short(t.refresh_token)} (rotates on every use)`, `    id_token ${short(t.id_token)}`, `    expires_in ${t.expires_in}, scope "${t.scope}"`],
    table: sideBySide(t.id_token, t.access_token),
  });
  await userinfo();
  await loadProfile();
  setSignedIn(true);
  $("who").focus();
}

// checkIDToken returns what is wrong with the ID token, or "".
async function checkIDToken(idToken, accessToken, nonce) {
  if (!idToken) return "there is none";
  const { claims } = decodeJWT(idToken);
  const aud = [].concat(claims.aud);
  if (claims.iss !== cfg.issuer) return `iss ${claims.iss}`;
  if (!aud.includes(cfg.client_id)) return `aud ${aud}`;
  if (claims.nonce !== nonce) return "the nonce is not ours";
  if (claims.exp * 1000 < Date.now()) return "it expired";
  if (claims.at_hash !== (await atHash(accessToken))) return "at_hash does not match the access token";
  return "";
}

// sideBySide compares the two tokens claim by claim.
function sideBySide(idToken, accessToken) {
  const id = decodeJWT(idToken), at = decodeJWT(accessToken);
  const v = (x) => (x === undefined ? "—" : Array.isArray(x) ? x.join(", ") : String(x));
  const exp = (c) => `${time(c.exp * 1000)} (${c.exp - c.iat}s)`;
  return [
    ["", "ID token: who signed in", "access token: what the app may do"],
    ["header typ", v(id.header.typ), v(at.header.typ)],
    ["alg", v(id.header.alg), v(at.header.alg)],
    ["iss", v(id.claims.iss), v(at.claims.iss)],
    ["sub", v(id.claims.sub), v(at.claims.sub)],
    ["aud", v(id.claims.aud), v(at.claims.aud)],
    ["scope", v(id.claims.scope), v(at.claims.scope)],
    ["client_id", v(id.claims.client_id ?? (id.claims.azp && `azp ${id.claims.azp}`)), v(at.claims.client_id)],
    ["nonce", v(id.claims.nonce && short(id.claims.nonce)), v(at.claims.nonce)],
    ["at_hash", v(id.claims.at_hash), v(at.claims.at_hash)],
    ["exp", exp(id.claims), exp(at.claims)],
  ];
}

// userinfo asks the issuer who signed in (OIDC Core §5.3), with the
// access token: a preflighted cross-origin GET.
async function userinfo() {
  const r = await bearer(meta.userinfo_endpoint, tokens.access);
  const b = r.body || {};
  logStep({
    id: "userinfo", kind: r.status === 200 ? "ok" : "error", title: r.status === 200 ? `The issuer says: ${b.name} <${b.email}>` : "UserInfo failed",
    sent: [`GET ${meta.userinfo_endpoint}`, `  Authorization: Bearer ${short(tokens.access)}`], got: [line(r), JSON.stringify(b)],
  });
}

// loadProfile reads the profile at the API with the access token.
async function loadProfile() {
  const url = `${cfg.api}/profile`;
  const r = await bearer(url, tokens.access);
  if (r.status === 200) showProfile(r.body);
  logStep({
    id: "profile", kind: r.status === 200 ? "ok" : "refused", title: r.status === 200 ? `The API answers with ${r.body.name}'s profile` : `The API refused: ${r.status}`,
    why: r.status === 200 ? `tokengate checked the JWT locally: signature, iss, aud, exp, typ and the scope profile:read, for client ${r.body.client_id}.` : "",
    sent: [`GET ${url}`, `  Authorization: Bearer ${short(tokens.access)}`], got: [line(r)],
  });
}

function showProfile(p) {
  $("profile-name").textContent = p.name;
  $("profile-email").textContent = p.email;
  $("profile-bio").textContent = p.bio || "—";
  $("name").value = p.name;
  $("bio").value = p.bio;
  const reads = (p.recent_reads || []).slice().reverse();
  $("reads").replaceChildren(...(reads.length ? reads.map((x) => el("li", { "data-client": x.client_id }, el("b", {}, x.client_id), ` ${x.checked_by}, ${time(x.at)}`)) : [el("li", {}, "Nobody yet.")]));
}

// saveProfile changes the profile: PUT needs profile:write, which this
// app's token has and analytics' has not.
async function saveProfile(ev) {
  ev.preventDefault();
  const url = `${cfg.api}/profile`;
  const body = JSON.stringify({ name: $("name").value, bio: $("bio").value });
  const r = await bearer(url, tokens.access, { method: "PUT", headers: { "Content-Type": "application/json" }, body });
  if (r.status === 200) showProfile(r.body);
  logStep({
    id: "save", kind: r.status === 200 ? "ok" : "refused", title: r.status === 200 ? "Profile saved" : `The API refused the change: ${r.status}`,
    sent: [`PUT ${url}`, `  Authorization: Bearer ${short(tokens.access)}`, `  ${body}`], got: [line(r), r.status === 200 ? "" : JSON.stringify(r.body)],
  });
}

// refresh redeems the refresh token (RFC 6749 §6) for a new access token
// and a new refresh token; the old one is now spent (RFC 9700 §4.14.2).
async function refresh() {
  const old = tokens.refresh;
  const r = await postForm(meta.token_endpoint, { grant_type: "refresh_token", refresh_token: old, client_id: cfg.client_id });
  const sent = [`POST ${meta.token_endpoint}`, `  grant_type=refresh_token refresh_token=${short(old)} client_id=${cfg.client_id}`];
  if (r.status !== 200) {
    logStep({ id: "refresh", kind: "refused", title: "The refresh was refused", sent, got: [line(r), JSON.stringify(r.body)] });
    return;
  }
  tokens = { ...tokens, access: r.body.access_token, refresh: r.body.refresh_token, expiresAt: Date.now() + r.body.expires_in * 1000 };
  showHeld();
  logStep({
    id: "refresh", kind: "ok", title: "New access token; the refresh token rotated", why: "Using the old refresh token again would now revoke the whole family: a stolen refresh token is good once at most.",
    sent, got: [`200 access_token ${short(r.body.access_token)}`, `    refresh_token ${short(r.body.refresh_token)} (was ${short(old)})`],
  });
}

// sendIDToken shows that the API refuses an ID token: it is signed by the
// same issuer, but it is for the app, not the API.
async function sendIDToken() {
  const url = `${cfg.api}/profile`;
  const r = await bearer(url, tokens.id);
  logStep({
    id: "id-token", kind: r.status === 401 ? "refused" : "error", title: r.status === 401 ? "The API refuses the ID token: 401" : `The API answered ${r.status} to an ID token`,
    why: "An ID token tells the app who signed in; its aud is the app and it carries a nonce. An API that took it would let any app the user signed in to act as the user.",
    sent: [`GET ${url}`, `  Authorization: Bearer ${short(tokens.id)} (the ID token)`], got: [line(r), typeof r.body === "string" ? r.body.trim() : ""],
  });
}

// signOut revokes the refresh token at the issuer (RFC 7009), which ends
// the app's grant, and forgets every token.
async function signOut() {
  const r = await postForm(meta.revocation_endpoint, { token: tokens.refresh, token_type_hint: "refresh_token", client_id: cfg.client_id });
  logStep({
    id: "sign-out", kind: r.status === 200 ? "ok" : "error", title: "Signed out: the refresh token is revoked, the tokens forgotten",
    why: "The access token is refused where the API asks the issuer; a local JWT check accepts it until it expires, which is why access tokens live minutes.",
    sent: [`POST ${meta.revocation_endpoint}`, `  token=${short(tokens.refresh)} token_type_hint=refresh_token client_id=${cfg.client_id}`], got: [line(r)],
  });
  tokens = null;
  setSignedIn(false);
  $("sign-in").focus();
}

function setSignedIn(on) {
  $("signed-in").hidden = !on;
  $("signed-out").hidden = on;
  $("analytics-actions").hidden = !on;
  $("who").textContent = on ? `Signed in as ${decodeJWT(tokens.id).claims.sub}` : "Not signed in.";
  showHeld();
}

// showHeld says which tokens this tab holds, shortened.
function showHeld() {
  $("held").hidden = !tokens;
  if (tokens) $("held").textContent = `In this tab's memory: access token ${short(tokens.access)} until ${time(tokens.expiresAt)}, refresh token ${short(tokens.refresh)}.`;
}

function alertUser(text) {
  $("alert").textContent = text;
  $("alert").hidden = false;
}

// showAnalytics reads analytics' report on this browser's connection: a
// cross-origin GET with its cookie, which analytics allows for this
// origin by name, with credentials.
async function showAnalytics(report) {
  report ??= (await request(`${cfg.analytics}/status`, { credentials: "include" })).body;
  const box = $("analytics");
  if (!report?.connected) {
    if (box.dataset.state !== "waiting") box.dataset.state = "off";
    return false;
  }
  box.dataset.state = report.revoked ? "revoked" : "connected";
  $("analytics-summary").textContent = report.revoked
    ? `You revoked Analytics at the issuer. Its refresh token is refused; its last access token is refused at once where the API asks the issuer, and on the local-JWT route when it expires at ${time(report.access_expires_at)}.`
    : `Connected to ${report.subject}'s profile since ${time(report.connected_at)}, with scope "${report.scope}" only: access token ${report.access_token} until ${time(report.access_expires_at)}, and a refresh token. Analytics never saw your password.`;
  $("sync-analytics").hidden = false;
  $("connect-analytics").hidden = true;
  const last = report.syncs?.[0];
  $("analytics-when").textContent = last ? `Its last read, ${last.trigger}, at ${time(last.at)}:` : "";
  $("analytics-steps").replaceChildren(...(last?.steps || []).map((s) =>
    el("li", { class: s.outcome, "data-route": s.route, "data-status": s.status },
      el("span", { class: `badge ${s.outcome}` }, s.status || "—"), " ", el("b", {}, s.what), " ", el("code", {}, s.route), el("span", { class: "detail" }, s.detail))));
  return true;
}

// connectAnalytics waits while the user connects analytics in a new tab.
function connectAnalytics() {
  $("analytics").dataset.state = "waiting";
  $("analytics-summary").textContent = "Waiting: connect Analytics in the new tab. The issuer asks you to sign in there and shows what Analytics asks for.";
  logStep({ id: "connect", kind: "info", title: "Analytics is being connected in a new tab", why: "Analytics, a confidential client on its own server, sends you to the issuer. You sign in there, not at analytics, and consent to profile:read only." });
  clearInterval(waitingForAnalytics);
  waitingForAnalytics = setInterval(async () => {
    const report = (await request(`${cfg.analytics}/status`, { credentials: "include" })).body;
    if (await showAnalytics(report)) {
      clearInterval(waitingForAnalytics);
      logAnalytics("Analytics is connected and read your profile, with its own token", report);
    }
  }, 1000);
}

async function syncAnalytics() {
  const r = await request(`${cfg.analytics}/sync`, { method: "POST", credentials: "include" });
  if (r.status === 200) await showAnalytics(r.body);
  logAnalytics(r.body?.revoked ? "Analytics tried to read your profile after you revoked it" : "Analytics read your profile again", r.body);
}

// logAnalytics copies analytics' last read into the story.
function logAnalytics(title, report) {
  const last = report?.syncs?.[0];
  const got = (last?.steps || []).map((s) => `${s.status || "—"} ${s.route}: ${s.detail}`);
  logStep({ id: "analytics", kind: report?.revoked ? "refused" : "ok", title, got });
}

function wire() {
  $("sign-in").addEventListener("click", signIn);
  $("load-profile").addEventListener("click", loadProfile);
  $("edit").addEventListener("submit", saveProfile);
  $("refresh").addEventListener("click", refresh);
  $("send-id-token").addEventListener("click", sendIDToken);
  $("sign-out").addEventListener("click", signOut);
  $("connect-analytics").addEventListener("click", connectAnalytics);
  $("sync-analytics").addEventListener("click", syncAnalytics);
  window.addEventListener("focus", () => showAnalytics());
  $("app").dataset.ready = "true";
}

start().catch((e) => logStep({ id: "error", kind: "error", title: "The app stopped on an error", got: [String(e)] }));
