"""The shared vocabulary every stage uses: messages and stable codes (messages, errors),
Japanese fiscal years and eras (fiscal), the one rule for numbers (numbers), text hygiene
(safetext), safe file writes and staging (fileio, staging), key-path checking (keypath),
process pools (parallel) and process-wide settings (runtime). It imports nothing else of
the package."""
