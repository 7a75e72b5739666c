package main

import "github.com/esbtui/esbtui/internal/env"

func printTrust(a *app, s *env.TrustStatus) {}
