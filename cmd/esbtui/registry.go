package main

import "github.com/esbtui/esbtui/internal/env"

func printRegistry(a *app, s *env.RegistryStatus) {}
