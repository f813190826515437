//! A browser's HTTP for the console tests: a cookie jar, no automatic redirects, forms sent
//! with the `Origin` a browser would send (or another, or none, to test the refusals).

use std::collections::HashMap;

/// One answer.
pub struct WebPage {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl WebPage {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    /// The value of the first `<input name="NAME" value="…">` in the page.
    pub fn input(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\" value=\""))?;
        let rest = &self.body[at + name.len() + 15..];
        Some(rest[..rest.find('"')?].to_owned())
    }

    /// The page's text without tags (for assertions on what a person reads).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&amp;", "&")
    }
}

/// A browser session against one hub.
pub struct Web {
    pub base: String,
    agent: ureq::Agent,
    cookies: HashMap<String, String>,
}

impl Web {
    pub fn new(base: &str) -> Web {
        Web::build(base, None)
    }

    /// A browser trusting only the certificate in `ca_pem` (an HTTPS hub's own).
    pub fn with_ca(base: &str, ca_pem: &str) -> Web {
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(ca_pem.as_bytes())
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        Web::build(base, Some(ureq::tls::RootCerts::new_with_certs(&certs)))
    }

    fn build(base: &str, roots: Option<ureq::tls::RootCerts>) -> Web {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0);
        if let Some(roots) = roots {
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        let agent = config.build().new_agent();
        Web {
            base: base.trim_end_matches('/').to_owned(),
            agent,
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: ureq::http::Response<ureq::Body>) -> WebPage {
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = pair.split_once('=') {
                    if v.contains("Max-Age=0") || value.is_empty() {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_owned(), value.to_owned());
                    }
                }
            }
        }
        let body = response.into_body().read_to_string().unwrap_or_default();
        WebPage {
            status,
            headers,
            body,
        }
    }

    pub fn get(&mut self, path: &str) -> WebPage {
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie_header())
            .call()
            .unwrap();
        self.keep(response)
    }

    /// Posts a form with this console's `Origin`.
    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> WebPage {
        let origin = self.base.clone();
        self.post_from(path, form, Some(&origin))
    }

    /// Posts a form with the given `Origin` (or none).
    pub fn post_from(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> WebPage {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send(body.as_bytes()).unwrap();
        self.keep(response)
    }

    /// Signs in (the sign-in page first, for its form token); returns the answer to the POST.
    pub fn sign_in(&mut self, name: &str, password: &str) -> WebPage {
        let form = self.get("/console/signin");
        let pre = form.input("pre").unwrap();
        self.post(
            "/console/signin",
            &[("pre", &pre), ("name", name), ("password", password)],
        )
    }

    /// Signs in with a one-time password and replaces it with `new`.
    pub fn first_sign_in(&mut self, name: &str, one_time: &str, new: &str) {
        let answer = self.sign_in(name, one_time);
        assert_eq!(answer.status, 303, "{}", answer.text());
        assert_eq!(answer.location(), "/console/password");
        let form = self.get("/console/password");
        let csrf = form.input("csrf").unwrap();
        let changed = self.post(
            "/console/password",
            &[
                ("csrf", &csrf),
                ("current", one_time),
                ("new", new),
                ("repeat", new),
            ],
        );
        assert_eq!(changed.status, 303, "{}", changed.text());
    }

    /// The CSRF token of a signed-in page.
    pub fn csrf(&mut self) -> String {
        self.get("/console/").input("csrf").unwrap()
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
