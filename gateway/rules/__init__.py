"""The webhook's rules: which token, which mode, which body; pure functions that raise the ApiError saying why not."""
