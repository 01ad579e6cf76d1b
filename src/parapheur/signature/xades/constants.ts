/** Namespaces, algorithm URIs and the default Hélios signature policy (PROTOCOLS.md B.3). */
export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
export const NS_XAD = 'http://uri.etsi.org/01903/v1.1.1#';
export const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903/v1.1.1#SignedProperties';

export const ALG_EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ALG_ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const ALG_RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const ALG_SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const ALG_SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

/** Digest URIs we accept when verifying (rsa-sha1 / sha1 files from before 2018 still exist). */
export const DIGEST_NODE_NAMES: Record<string, string> = {
  [ALG_SHA256]: 'sha256',
  [ALG_SHA1]: 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

export interface SignaturePolicy {
  /** e.g. `urn:oid:1.2.250.1.131.1.5.18.21.1.7` */
  identifier: string;
  description: string;
  /** base64 SHA-256 of the policy document */
  hashBase64: string;
  hashAlgorithm: string;
  spuri: string;
}

/** Policy 1.7 with the hash found in the DGFiP-made sample (a second hash circulates, see B.3: keep it configurable). */
export const HELIOS_POLICY_1_7: SignaturePolicy = {
  identifier: 'urn:oid:1.2.250.1.131.1.5.18.21.1.7',
  description: 'Politique de signature Helios de la DGFiP',
  hashBase64: 'pYtFgzn09kQWZywqdIGVd1fFI07tjKmEAyQHr0l/YAk=',
  hashAlgorithm: ALG_SHA256,
  spuri: 'https://www.collectivites-locales.gouv.fr/files/files/finances_locales/dematerialisation/ps_helios_dgfip.pdf',
};

/** Domains whose Bordereau elements are signed one by one, with the header carrying InfoDematerialisee. */
export const SIGNED_DOMAINS: Record<string, string> = {
  PES_DepenseAller: 'EnTeteDepense',
  PES_RecetteAller: 'EnTeteRecette',
};
