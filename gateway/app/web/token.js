// Tokens as the relay takes them (common/tokens.py): made in this browser, kept in this browser only.

export const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const STORAGE_KEY = "awtrix-cloud.token";

// 64 letters: the low 6 bits of a random byte pick one without bias.
export function generateToken(length) {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => ALPHABET[byte & 63]).join("");
}

// Says what is wrong with a pasted token, in words for people; null when it is a token.
export function tokenProblem(text, min, max) {
  if (!text) return "Paste a token first.";
  if (/[^A-Za-z0-9_-]/.test(text)) return "A token has only letters, digits, _ and -. Check for spaces or quotes.";
  if (text.length < min) return `A token has at least ${min} characters; this one has ${text.length}.`;
  if (text.length > max) return `A token has at most ${max} characters; this one has ${text.length}.`;
  return null;
}

// localStorage can be switched off or full; the page then works without remembering.
export function loadToken() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token) {
  try {
    localStorage.setItem(STORAGE_KEY, token);
  } catch {
    /* not remembered: the page still works until it is closed */
  }
}

export function forgetToken() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* nothing was stored */
  }
}
