// Why an operations control is disabled for a member below admin.
export const ADMIN_ONLY_TITLE = 'Only admins and owners of this project stop sessions or reset server state.'
