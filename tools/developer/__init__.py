"""Developer tools: read cdk.out (synth summary, review) or emulate AWS (moto models, rehearsal)."""
