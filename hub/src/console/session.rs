//! Signing in and out, the first-sign-in password change, the language switch, and what every
//! page handler starts with: who is asking ([`signed_in`]) and whether a change request may
//! proceed ([`Signed::may_change`]).

use axum::extract::{Extension, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::auth::{
    backoff_secs, cookie, new_token, same_origin, same_token, session_cookie, set_cookie,
    signin_cookie, token_hash, weak_password, LANG_COOKIE,
};
use super::html::{csrf_field, esc, notice, page, Frame, Lang};
use super::{html, server_error, ConsoleState};
use crate::http::ClientAddress;
use crate::store::console::{AdminRole, ConsoleSession, ConsoleStore};
use crate::store::Store;

/// The request as every page sees it.
pub(super) struct Ctx {
    pub lang: Lang,
    pub now: i64,
    pub client: ClientAddress,
    pub path: String,
}

impl Ctx {
    pub fn new<S: Store + ConsoleStore>(
        console: &super::Console<S>,
        headers: &HeaderMap,
        uri: &Uri,
        client: Option<Extension<ClientAddress>>,
    ) -> Ctx {
        Ctx {
            lang: Lang::from_cookie(cookie(headers, LANG_COOKIE)),
            now: console.hub.clock.now(),
            client: client.map_or(ClientAddress::UNKNOWN, |Extension(c)| c),
            path: uri.path().to_owned(),
        }
    }

    /// The language's text.
    pub fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        self.lang.t(zh, en)
    }

    /// A page without the signed-in frame (sign-in, errors).
    pub fn bare_page(&self, title: &str, body: &str) -> String {
        page(
            &Frame {
                lang: self.lang,
                path: &self.path,
                who: None,
                csrf: "",
            },
            title,
            body,
        )
    }
}

/// A signed-in request.
pub(super) struct Signed {
    pub ctx: Ctx,
    pub session: ConsoleSession,
    token_hash: String,
}

impl Signed {
    /// A page in the signed-in frame.
    pub fn page(&self, title: &str, body: &str) -> String {
        page(
            &Frame {
                lang: self.ctx.lang,
                path: &self.ctx.path,
                who: Some((
                    &self.session.admin.name,
                    self.session.admin.role == AdminRole::Viewer,
                )),
                csrf: &self.session.csrf,
            },
            title,
            body,
        )
    }

    /// Whether the account may change things (administrators only).
    pub fn is_admin(&self) -> bool {
        self.session.admin.role == AdminRole::Admin
    }

    /// The hidden CSRF field for a form.
    pub fn csrf_field(&self) -> String {
        csrf_field(&self.session.csrf)
    }

    #[allow(
        clippy::result_large_err,
        reason = "the error is the HTTP answer itself, returned at once by the handler"
    )]
    /// Checks a change request: from this console's origin, with the session's CSRF token,
    /// and (unless `any_role`) by an administrator. Otherwise the 403 answer.
    pub fn may_change(
        &self,
        headers: &HeaderMap,
        tls: bool,
        csrf: &str,
        any_role: bool,
    ) -> Result<(), Response> {
        if !same_origin(headers, tls) || !same_token(csrf, &self.session.csrf) {
            return Err(self.refuse(self.ctx.t(
                "请求来源无法验证（页面已过期或来自其他网站），未作任何更改；请重新打开页面后再试",
                "The request's origin could not be verified (an old page, or another site); \
                     nothing was changed. Open the page again and retry",
            )));
        }
        if !any_role && !self.is_admin() {
            return Err(self.refuse(self.ctx.t(
                "只读账号不能更改任何内容",
                "A viewer account cannot change anything",
            )));
        }
        Ok(())
    }

    fn refuse(&self, why: &str) -> Response {
        super::html(
            StatusCode::FORBIDDEN,
            self.page(self.ctx.t("不允许", "Not allowed"), &notice("error", why)),
        )
    }

    /// The address for the audit log.
    pub fn address(&self) -> String {
        self.ctx.client.to_string()
    }
}

/// The signed-in request, or where to send it: to sign in (no session, or it ended), or to
/// change the one-time password first.
pub(super) async fn signed_in<S: Store + ConsoleStore>(
    console: &super::Console<S>,
    headers: &HeaderMap,
    uri: &Uri,
    client: Option<Extension<ClientAddress>>,
) -> Result<Signed, Response> {
    let ctx = Ctx::new(console, headers, uri, client);
    let Some(token) = cookie(headers, session_cookie(console.tls)) else {
        return Err(Redirect::to("/console/signin").into_response());
    };
    let hash = token_hash(token);
    let session = console
        .hub
        .store
        .session(&hash, ctx.now - super::IDLE_SECS, ctx.now)
        .await
        .map_err(|e| server_error(&e))?;
    let Some(session) = session else {
        return Err(Redirect::to("/console/signin?ended=1").into_response());
    };
    if session.admin.must_change && ctx.path != "/console/password" {
        return Err(Redirect::to("/console/password").into_response());
    }
    Ok(Signed {
        ctx,
        session,
        token_hash: hash,
    })
}

/// A handler that takes a [`Signed`] runs only for a signed-in request; any other is answered
/// by where it should go instead (see [`signed_in`]).
impl<S: Store + ConsoleStore> axum::extract::FromRequestParts<std::sync::Arc<super::Console<S>>>
    for Signed
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        console: &std::sync::Arc<super::Console<S>>,
    ) -> Result<Signed, Response> {
        let client = parts
            .extensions
            .get::<ClientAddress>()
            .copied()
            .map(Extension);
        signed_in(console, &parts.headers, &parts.uri, client).await
    }
}

fn signin_page(ctx: &Ctx, pre: &str, message: Option<(&str, &str)>, name: &str) -> String {
    let message = message.map_or(String::new(), |(kind, text)| notice(kind, text));
    ctx.bare_page(
        ctx.t("登录", "Sign in"),
        &format!(
            "{message}<form method=\"post\" action=\"/console/signin\" class=\"card narrow\">\
             <input type=\"hidden\" name=\"pre\" value=\"{}\">\
             <p><label for=\"name\">{}</label><input id=\"name\" name=\"name\" \
             autocomplete=\"username\" required maxlength=\"64\" value=\"{}\"></p>\
             <p><label for=\"password\">{}</label><input id=\"password\" name=\"password\" \
             type=\"password\" autocomplete=\"current-password\" required maxlength=\"256\"></p>\
             <p><button type=\"submit\">{}</button></p></form>",
            esc(pre),
            ctx.t("账号", "Account"),
            esc(name),
            ctx.t("密码", "Password"),
            ctx.t("登录", "Sign in"),
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct Ended {
    ended: Option<String>,
}

/// `GET /console/signin`.
pub(super) async fn signin_form<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<Ended>,
    client: Option<Extension<ClientAddress>>,
) -> Response {
    let ctx = Ctx::new(&console, &headers, &uri, client);
    let Ok(pre) = new_token() else {
        return super::html(StatusCode::INTERNAL_SERVER_ERROR, String::new());
    };
    let ended = q.ended.is_some().then(|| {
        (
            "ok",
            ctx.t(
                "已超过30分钟未操作，请重新登录",
                "You were signed out after 30 minutes without activity; sign in again",
            ),
        )
    });
    let body = signin_page(&ctx, &pre, ended, "");
    (
        [(
            header::SET_COOKIE,
            set_cookie(signin_cookie(console.tls), &pre, console.tls, Some(1800)),
        )],
        super::html(StatusCode::OK, body),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct SigninForm {
    #[serde(default)]
    pre: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// `POST /console/signin`.
pub(super) async fn signin<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    headers: HeaderMap,
    uri: Uri,
    client: Option<Extension<ClientAddress>>,
    Form(form): Form<SigninForm>,
) -> Response {
    let ctx = Ctx::new(&console, &headers, &uri, client);
    let name = form.name.trim().chars().take(64).collect::<String>();
    let pre_ok = cookie(&headers, signin_cookie(console.tls))
        .is_some_and(|c| !form.pre.is_empty() && same_token(c, &form.pre));
    if !same_origin(&headers, console.tls) || !pre_ok {
        let body = signin_page(
            &ctx,
            &form.pre,
            Some((
                "error",
                ctx.t(
                    "登录页已过期或来源无法验证，请刷新后重试",
                    "The sign-in page expired or its origin could not be verified; reload it and retry",
                ),
            )),
            &name,
        );
        return super::html(StatusCode::FORBIDDEN, body);
    }
    let wait_page = |secs: i64| {
        let text = match ctx.lang {
            Lang::Zh => format!("密码错误次数过多，请{secs}秒后再试"),
            Lang::En => format!("Too many wrong passwords; try again in {secs} s"),
        };
        super::html(
            StatusCode::TOO_MANY_REQUESTS,
            signin_page(&ctx, &form.pre, Some(("error", &text)), &name),
        )
    };
    let address_wait = console.addresses.wait(&ctx.client, ctx.now);
    if address_wait > 0 {
        return wait_page(address_wait);
    }
    let stored = match console.hub.store.admin(&name).await {
        Ok(s) => s.filter(|s| s.account.disabled_at.is_none()),
        Err(e) => return server_error(&e),
    };
    if let Some(s) = &stored {
        if s.account.next_signin_at > ctx.now {
            return wait_page(s.account.next_signin_at - ctx.now);
        }
    }
    let ok = console
        .hasher
        .verify(
            &form.password,
            stored.as_ref().map(|s| s.password_hash.as_str()),
        )
        .await;
    console.addresses.note(&ctx.client, ok, ctx.now);
    let address = ctx.client.to_string();
    if !ok {
        if let Some(s) = &stored {
            let next = ctx.now + backoff_secs(s.account.failed_signins + 1);
            if let Err(e) = console.hub.store.note_signin(&name, false, next).await {
                return server_error(&e);
            }
        }
        if let Err(e) = console.audit(&name, "signin.failed", &name, &address).await {
            return server_error(&e);
        }
        let body = signin_page(
            &ctx,
            &form.pre,
            Some((
                "error",
                ctx.t("账号或密码不正确", "Wrong account or password"),
            )),
            &name,
        );
        return super::html(StatusCode::UNAUTHORIZED, body);
    }
    let Some(stored) = stored else {
        return server_error(&crate::StoreError::Task(
            "verified without an account".into(),
        ));
    };
    let (Ok(token), Ok(csrf)) = (new_token(), new_token()) else {
        return super::html(StatusCode::INTERNAL_SERVER_ERROR, String::new());
    };
    let store = &console.hub.store;
    let started = async {
        store.note_signin(&name, true, 0).await?;
        store
            .create_session(&token_hash(&token), &name, &csrf, &address, ctx.now)
            .await?;
        console.audit(&name, "signin", &name, &address).await
    };
    if let Err(e) = started.await {
        return server_error(&e);
    }
    let to = if stored.account.must_change {
        "/console/password"
    } else {
        "/console/"
    };
    let mut response = Redirect::to(to).into_response();
    let cookies = response.headers_mut();
    for value in [
        set_cookie(session_cookie(console.tls), &token, console.tls, None),
        set_cookie(signin_cookie(console.tls), "", console.tls, Some(0)),
    ] {
        if let Ok(v) = value.parse() {
            cookies.append(header::SET_COOKIE, v);
        }
    }
    response
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/signout`.
pub(super) async fn signout<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = signed.may_change(&headers, console.tls, &form.csrf, true) {
        return refused;
    }
    let name = signed.session.admin.name.clone();
    let ended = async {
        console.hub.store.end_session(&signed.token_hash).await?;
        console
            .audit(&name, "signout", &name, &signed.address())
            .await
    };
    if let Err(e) = ended.await {
        return server_error(&e);
    }
    let mut response = Redirect::to("/console/signin").into_response();
    if let Ok(v) = set_cookie(session_cookie(console.tls), "", console.tls, Some(0)).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

fn password_page(signed: &Signed, message: Option<(&str, &str)>) -> String {
    let ctx = &signed.ctx;
    let first = signed.session.admin.must_change.then(|| {
        notice(
            "ok",
            ctx.t(
                "首次登录：请把一次性密码换成只有您知道的新密码",
                "First sign-in: replace the one-time password with one only you know",
            ),
        )
    });
    let message = message.map_or(String::new(), |(kind, text)| notice(kind, text));
    signed.page(
        ctx.t("修改密码", "Change password"),
        &format!(
            "{}{message}<form method=\"post\" action=\"/console/password\" class=\"card narrow\">{}\
             <p><label for=\"current\">{}</label><input id=\"current\" name=\"current\" \
             type=\"password\" autocomplete=\"current-password\" required maxlength=\"256\"></p>\
             <p><label for=\"new\">{}</label><input id=\"new\" name=\"new\" type=\"password\" \
             autocomplete=\"new-password\" required minlength=\"12\" maxlength=\"256\" \
             aria-describedby=\"new-hint\"><span id=\"new-hint\" class=\"hint\">{}</span></p>\
             <p><label for=\"repeat\">{}</label><input id=\"repeat\" name=\"repeat\" \
             type=\"password\" autocomplete=\"new-password\" required maxlength=\"256\"></p>\
             <p><button type=\"submit\">{}</button></p></form>",
            first.unwrap_or_default(),
            signed.csrf_field(),
            ctx.t("当前密码", "Current password"),
            ctx.t("新密码", "New password"),
            ctx.t(
                "至少12个字符，不含账号名",
                "At least 12 characters, not containing the account name"
            ),
            ctx.t("再输入一次新密码", "New password again"),
            ctx.t("保存新密码", "Save the new password"),
        ),
    )
}

/// `GET /console/password`.
pub(super) async fn password_form(signed: Signed) -> Response {
    super::html(StatusCode::OK, password_page(&signed, None))
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /console/password`.
pub(super) async fn change_password<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    if let Err(refused) = signed.may_change(&headers, console.tls, &form.csrf, true) {
        return refused;
    }
    let ctx = &signed.ctx;
    let name = signed.session.admin.name.clone();
    let refuse = |status: StatusCode, text: &str| {
        super::html(status, password_page(&signed, Some(("error", text))))
    };
    let stored = match console.hub.store.admin(&name).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/console/signin").into_response(),
        Err(e) => return server_error(&e),
    };
    if !console
        .hasher
        .verify(&form.current, Some(&stored.password_hash))
        .await
    {
        return refuse(
            StatusCode::UNAUTHORIZED,
            ctx.t("当前密码不正确", "The current password is wrong"),
        );
    }
    if form.new != form.repeat {
        return refuse(
            StatusCode::BAD_REQUEST,
            ctx.t("两次输入的新密码不一致", "The two new passwords differ"),
        );
    }
    if form.new == form.current {
        return refuse(
            StatusCode::BAD_REQUEST,
            ctx.t(
                "新密码不能与当前密码相同",
                "The new password must differ from the current one",
            ),
        );
    }
    if let Some((zh, en)) = weak_password(&name, &form.new) {
        return refuse(StatusCode::BAD_REQUEST, ctx.t(zh, en));
    }
    let hash = match console.hasher.hash(&form.new).await {
        Ok(h) => h,
        Err(e) => return server_error(&crate::StoreError::Task(e.to_string())),
    };
    let changed = async {
        console
            .hub
            .store
            .set_admin_password(&name, &hash, false, Some(&signed.token_hash))
            .await?;
        console
            .audit(&name, "password.change", &name, &signed.address())
            .await
    };
    if let Err(e) = changed.await {
        return server_error(&e);
    }
    Redirect::to("/console/?done=password").into_response()
}

#[derive(Deserialize)]
pub(super) struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /console/lang?to=en&back=/console/…`: sets the language cookie and goes back (only
/// to a console page: never an open redirect).
pub(super) async fn language<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = if q.to.as_deref() == Some("en") {
        "en"
    } else {
        "zh"
    };
    let back = q
        .back
        .filter(|b| b.starts_with("/console/") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/console/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(v) = set_cookie(LANG_COOKIE, lang, console.tls, Some(365 * 86_400)).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// Any other console path.
pub(super) async fn not_found<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    headers: HeaderMap,
    uri: Uri,
    client: Option<Extension<ClientAddress>>,
) -> Response {
    let ctx = Ctx::new(&console, &headers, &uri, client);
    html(
        StatusCode::NOT_FOUND,
        ctx.bare_page(
            ctx.t("找不到页面", "Page not found"),
            &format!(
                "<p><a href=\"/console/\">{}</a></p>",
                ctx.t("回到概览", "Back to the overview")
            ),
        ),
    )
}
