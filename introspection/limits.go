package introspection

// MaxTokenBytes returns the token length cap of i (Config.MaxTokenBytes,
// default 8192), so that the middleware in front of i applies the same cap.
func (i *Introspector) MaxTokenBytes() int { return i.cfg.MaxTokenBytes }
