// The query key of who is signed in (`GET /api/auth/session`), shared by the frame and the sign-in page.
export const SESSION_KEY = ['session'] as const
