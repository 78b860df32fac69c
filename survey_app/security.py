"""Security headers on every response."""

import secrets

from flask import Flask, g, request


def csp_nonce() -> str:
    """A per-request nonce for the one inline <style> of the survey page."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def register(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def set_security_headers(response):
        style_src = "style-src 'self'" + (f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; object-src 'none'; base-uri 'none'; "
            f"frame-ancestors 'none'; form-action 'self'; img-src 'self' data:; {style_src}"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if app.config.get("HSTS"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.path.startswith("/static/"):
            # Staff pages, exports and survey links: never stored by a shared browser or proxy.
            response.headers["Cache-Control"] = "no-store"
        lang = request.args.get("lang")
        if lang in ("vi", "en"):
            response.set_cookie(
                "lang",
                lang,
                max_age=365 * 86400,
                samesite="Lax",
                httponly=True,
                secure=app.config["SESSION_COOKIE_SECURE"],
            )
        return response
