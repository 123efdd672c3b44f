// The control endpoint of a node, and its client: what `observer` attaches to.
// (Being built: issue 8.)
