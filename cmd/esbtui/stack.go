package main

import "github.com/esbtui/esbtui/internal/env"

func printStack(a *app, s *env.StackStatus) {}
