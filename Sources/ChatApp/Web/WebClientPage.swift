enum WebClientPage {
  static let html = "<html></html>"
  static let bytes = Array(html.utf8)
}
