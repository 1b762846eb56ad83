extension StringProtocol {
    /// Without leading and trailing whitespace (spaces, tabs, line ends).
    public func trimmingSpaces() -> String {
        String(drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
