// Verifies JWTs against a JWKS URL with jose's createRemoteJWKSet (npm), as a Node service would.
// usage: node jwks_verify.cjs JOSE_DIR JWKS_URL ISSUER TOKEN...  — one line per token:
// "ok <kid> <user_id>" or "refused <code>".
const [joseDir, url, issuer, ...tokens] = process.argv.slice(2);
const jose = require(joseDir);

(async () => {
    const jwks = jose.createRemoteJWKSet(new URL(url), { cooldownDuration: 0 });
    for (const token of tokens) {
        try {
            const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
                issuer,
                algorithms: ["EdDSA"],
            });
            console.log("ok", protectedHeader.kid, payload.user_id);
        } catch (e) {
            console.log("refused", e.code || e.name);
        }
    }
})();
