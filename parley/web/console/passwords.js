// What the server asks of a new password, checked before it is sent: said at once, and the link stays unused.

export const MIN_PASSWORD_LENGTH = 10;

/** Why `password` (typed twice) cannot be sent, or "" when it can. */
export function passwordProblem(password, repeated) {
  if (password.length < MIN_PASSWORD_LENGTH) return `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password !== repeated) return "The two passwords differ.";
  return "";
}
