// The login page chatd renders itself at `/login` (no script: a plain form that works
// under the Content-Security-Policy), and its style sheet `/login.css`. The form posts
// account, password and the CSRF token (Web/FormToken.swift) to `/login`; an error from
// the last attempt shows in `#login-error`. Every value put into the page is escaped.
// Pure functions and constants: no state.

enum LoginPage {
  /// The page with `csrf` in its form, and `error` (if any) shown above it; `account`
  /// refills the account field after a failed attempt.
  static func html(csrf: String, error: String? = nil, account: String = "", guests: Bool) -> String {
    let errorText = error.map(escape) ?? ""
    return """
      <!doctype html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>chatd: log in</title>
      <link rel="stylesheet" href="/login.css">
      </head>
      <body>
      <main>
      <h1>chatd</h1>
      <form id="login" method="post" action="/login">
      <p id="login-error" role="alert"\(error == nil ? " hidden" : "")>\(errorText)</p>
      <label>account <input name="account" autocomplete="username" required value="\(escape(account))"></label>
      <label>password <input name="password" type="password" autocomplete="current-password" required></label>
      <input type="hidden" name="csrf" value="\(escape(csrf))">
      <button type="submit">log in</button>
      </form>
      \(guests ? "<p class=\"guest\"><a href=\"/\">chat as a guest</a></p>" : "")
      </main>
      </body>
      </html>

      """
  }

  /// Text safe inside an element or a quoted attribute.
  static func escape(_ text: String) -> String {
    var out = ""
    for c in text {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }

  /// `/login.css`.
  static let style = """
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.4 system-ui, sans-serif; color: #222; background: #f7f7f5; }
    main { max-width: 22em; margin: 12vh auto; padding: 1.5em; background: #fff; border: 1px solid #ddd; border-radius: 6px; }
    h1 { font-size: 20px; margin: 0 0 1em; }
    label { display: block; margin: 0 0 .8em; color: #555; }
    input { display: block; width: 100%; margin-top: .2em; padding: .45em; font: inherit; }
    button { font: inherit; padding: .45em 1.2em; }
    #login-error { color: #b00020; margin: 0 0 1em; }
    #login-error[hidden] { display: none; }
    .guest { margin: 1em 0 0; font-size: 13px; }

    """
  static let styleBytes: [UInt8] = Array(style.utf8)
}
