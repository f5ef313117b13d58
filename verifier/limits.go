package verifier

// MaxTokenBytes returns the token length cap of v (Config.MaxTokenBytes,
// default 8192), so that the middleware in front of v applies the same cap.
func (v *JWT) MaxTokenBytes() int { return v.cfg.MaxTokenBytes }
