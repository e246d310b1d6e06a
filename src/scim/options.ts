/** What the SCIM handlers need from configuration, resolved once when the app is built. */
export interface ScimOptions {
  /** The directory's SCIM base URL, e.g. https://gw.example.com/scim/v2/directory_01H... */
  baseUrlOf(directoryId: string): string;
  maxBodyBytes: number;
  maxResults: number;
}
