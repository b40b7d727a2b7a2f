// The blockchain primitives against vectors from Bitcoin and its standards, never ones
// computed here: the genesis block, Bitcoin Core's Base58 key vectors, CompactSize's
// ranges, BIP66's DER rules (bitcoinjs/bip66 fixtures), Merkle roots of real blocks, and
// secp256k1 signatures over a node's content. The core's own checks of the chain types
// must agree with the TypeScript ones.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  ADDRESS_VERSIONS,
  addressFromPublicKey,
  convert,
  decodeAddress,
  decodeBase58Check,
  decodeCompactSize,
  decodeDer,
  decodeVarString,
  encodeBase58Check,
  encodeCompactSize,
  encodeDer,
  encodeVarString,
  fromDisplayHex,
  GroveError,
  hash160,
  isLowS,
  isStrictDer,
  merkleRoot,
  publicKeyOf,
  sha256d,
  signNode,
  toDisplayHex,
  Tree,
  verifyNode,
} from '../src/index.js';

const GENESIS_HEADER =
  '01000000' +
  '0000000000000000000000000000000000000000000000000000000000000000' +
  '3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a' +
  '29ab5f49' +
  'ffff001d' +
  '1dac2b7c';
const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
const GENESIS_COINBASE_KEY =
  '04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f';

describe('hashes', () => {
  it('sha256d of the genesis block header is its hash, shown reversed', () => {
    const hash = sha256d(hexToBytes(GENESIS_HEADER));
    expect(toDisplayHex(hash)).toBe(GENESIS_HASH);
    expect(fromDisplayHex(GENESIS_HASH)).toEqual(hash);
    // The core shows a block_hash the same way.
    expect(convert(hash, 'block_hash')).toBe(GENESIS_HASH);
  });

  it('the genesis coinbase key hashes to address 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', () => {
    const key = hexToBytes(GENESIS_COINBASE_KEY);
    expect(bytesToHex(hash160(key))).toBe('62e907b15cbf27d5425399ebf6f0fb50ebb88f18');
    expect(addressFromPublicKey(key)).toBe('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa');
  });
});

describe('Base58Check', () => {
  // Bitcoin Core src/test/data/base58_keys_valid.json: address, hash160, type.
  const valid: [string, string, number][] = [
    ['1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i', '65a16059864a2fdbc7c99a4723a8395bc6f188eb', ADDRESS_VERSIONS.p2pkh],
    ['3CMNFxN1oHBc4R1EpboAL5yzHGgE611Xou', '74f209f6ea907e2ea48f74fae05782ae8a665257', ADDRESS_VERSIONS.p2sh],
    ['mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVs', '53c0307d6851aa0ce7825ba883c6bd9ad242b486', ADDRESS_VERSIONS.testnetP2pkh],
    ['2N2JD6wb56AfK4tfmM6PwdVmoYk2dCKf4Br', '6349a418fc4578d10a372b54b45c280cc8c4382f', ADDRESS_VERSIONS.testnetP2sh],
    ['1Ax4gZtb7gAit2TivwejZHYtNNLT18PUXJ', '6d23156cbbdcc82a5a47eee4c2c7c583c18b6bf4', ADDRESS_VERSIONS.p2pkh],
    ['3QjYXhTkvuj8qPaXHTTWb5wjXhdsLAAWVy', 'fcc5460dd6e2487c7d75b1963625da0e8f4c5975', ADDRESS_VERSIONS.p2sh],
    ['n3ZddxzLvAY9o7184TB4c6FJasAybsw4HZ', 'f1d470f9b02370fdec2e6b708b08ac431bf7a5f7', ADDRESS_VERSIONS.testnetP2pkh],
    ['2NBFNJTktNa7GZusGbDbGKRZTxdK9VVez3n', 'c579342c2c4c9220205e2cdc285617040c924a0a', ADDRESS_VERSIONS.testnetP2sh],
  ];

  it.each(valid)('decodes and encodes %s', (address, hash, version) => {
    const decoded = decodeAddress(address);
    expect(decoded.version).toBe(version);
    expect(bytesToHex(decoded.hash)).toBe(hash);
    expect(encodeBase58Check(Uint8Array.of(version, ...hexToBytes(hash)))).toBe(address);
    expect(convert(address, 'address')).toBe(address);  // the core accepts it too
  });

  // Bitcoin Core src/test/data/base58_keys_invalid.json (the first 30).
  const invalid = [
    '', 'x', '37qgekLpCCHrQuSjvX3fs496FWTGsHFHizjJAs6NPcR47aefnnCWECAhHV6E3g4YN7u7Yuwod5Y',
    'dzb7VV1Ui55BARxv7ATxAtCUeJsANKovDGWFVgpTbhq9gvPqP3yv', 'MuNu7ZAEDFiHthiunm7dPjwKqrVNCM3mAz6rP9zFveQu14YA8CxExSJTHcVP9DErn6u84E6Ej7S',
    'rPpQpYknyNQ5AEHuY6H8ijJJrYc2nDKKk9jjmKEXsWzyAQcFGpDLU2Zvsmoi8JLR7hAwoy3RQWf',
    '4Uc3FmN6NQ6zLBK5QQBXRBUREaaHwCZYsGCueHauuDmJpZKn6jkEskMB2Zi2CNgtb5r6epWEFfUJq',
    '7aQgR5DFQ25vyXmqZAWmnVCjL3PkBcdVkBUpjrjMTcghHx3E8wb', '17QpPprjeg69fW1DV8DcYYCKvWjYhXvWkov6MJ1iTTvMFj6weAqW7wybZeH57WTNxXVCRH4veVs',
    'KxuACDviz8Xvpn1xAh9MfopySZNuyajYMZWz16Dv2mHHryznWUp3', '7nK3GSmqdXJQtdohvGfJ7KsSmn3TmGqExug49583bDAL91pVSGq5xS9SHoAYL3Wv3ijKTit65th',
    'cTivdBmq7bay3RFGEBBuNfMh2P1pDCgRYN2Wbxmgwr4ki3jNUL2va', 'gjMV4vjNjyMrna4fsAr8bWxAbwtmMUBXJS3zL4NJt5qjozpbQLmAfK1uA3CquSqsZQMpoD1g2nk',
    'emXm1naBMoVzPjbk7xpeTVMFy4oDEe25UmoyGgKEB1gGWsK8kRGs', '7VThQnNRj1o3Zyvc7XHPRrjDf8j2oivPTeDXnRPYWeYGE4pXeRJDZgf28ppti5hsHWXS2GSobdqyo',
    '1G9u6oCVCPh2o8m3t55ACiYvG1y5BHewUkDSdiQarDcYXXhFHYdzMdYfUAhfxn5vNZBwpgUNpso',
    '31QQ7ZMLkScDiB4VyZjuptr7AEc9j1SjstF7pRoLhHTGkW4Q2y9XELobQmhhWxeRvqcukGd1XCq', 'DHqKSnpxa8ZdQyH8keAhvLTrfkyBMQxqngcQA5N8LQ9KVt25kmGN',
    '2LUHcJPbwLCy9GLH1qXmfmAwvadWw4bp4PCpDfduLqV17s6iDcy1imUwhQJhAoNoN1XNmweiJP4i',
    '7USRzBXAnmck8fX9HmW7RAb4qt92VFX6soCnts9s74wxm4gguVhtG5of8fZGbNPJA83irHVY6bCos',
    '1DGezo7BfVebZxAbNT3XGujdeHyNNBF3vnficYoTSp4PfK2QaML9bHzAMxke3wdKdHYWmsMTJVu',
    '2D12DqDZKwCxxkzs1ZATJWvgJGhQ4cFi3WrizQ5zLAyhN5HxuAJ1yMYaJp8GuYsTLLxTAz6otCfb', '8AFJzuTujXjw1Z6M3fWhQ1ujDW7zsV4ePeVjVo7D1egERqSW9nZ',
    '163Q17qLbTCue8YY3AvjpUhotuaodLm2uqMhpYirsKjVqnxJRWTEoywMVY3NbBAHuhAJ2cF9GAZ',
    '461QQ2sYWxU7H2PV4oBwJGNch8XVTYYbZxU', '2UCtv53VttmQYkVU4VMtXB31REvQg4ABzs41AEKZ8UcB7DAfVzdkV9JDErwGwyj5AUHLkmgZeobs',
    'cSNjAsnhgtiFMi6MtfvgscMB2Cbhn2v1FUYfviJ1CdjfidvmeW6mn', 'gmsow2Y6EWAFDFE1CE4Hd3Tpu2BvfmBfG1SXsuRARbnt1WjkZnFh1qGTiptWWbjsq2Q6qvpgJVj',
    'nksUKSkzS76v8EsSgozXGMoQFiCoCHzCVajFKAXqzK5on9ZJYVHMD5CKwgmX3S3c7M1U3xabUny',
  ];

  it.each(invalid)('refuses %j as an address', (text) => {
    expect(() => decodeAddress(text)).toThrow(GroveError);
    // The core reads "" as an unset address (what a new address node holds).
    if (text !== '') expect(() => convert(text, 'address')).toThrow(/cannot convert str .* to address/);
  });

  it('takes any version byte, naming Bitcoin\'s, as the address type does', () => {
    // Nodix's own addresses (nodix.node: pubKeyVersion 0x19), and one of Bitcoin Core's
    // invalid samples that is invalid only for Bitcoin (version 0xC3)
    for (const [address, version] of [
      ['B8mPBEg2XbYSUwEh5a7yrfehvMNijpAm1P', 0x19],
      ['BH6o52jv2SjzCfmQmKRACFEAxooo2UF47A', 0x19],
      ['2MnmgiRH4eGLyLc9eAqStzk7dFgBjFtUCtu', 0xc3],
    ] as const) {
      expect(decodeAddress(address)).toEqual({ version, hash: expect.any(Uint8Array) });
      expect(convert(address, 'address')).toBe(address);
    }
    expect(decodeAddress('3CMNFxN1oHBc4R1EpboAL5yzHGgE611Xou')).toMatchObject({ version: 0x05, name: 'p2sh' });
    expect(decodeAddress('mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVs').name).toBe('testnetP2pkh');
    const key = Uint8Array.from(Buffer.from('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex'));
    expect(decodeAddress(addressFromPublicKey(key, 0x19))).toMatchObject({ version: 0x19 });
    expect(() => addressFromPublicKey(key, 256)).toThrow(/an address version is a byte/);
  });

  it('refuses a wrong checksum and a version outside those asked for', () => {
    expect(() => decodeBase58Check('1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62j')).toThrow(/checksum .* does not match/);
    expect(() => decodeAddress('3CMNFxN1oHBc4R1EpboAL5yzHGgE611Xou', [ADDRESS_VERSIONS.p2pkh])).toThrow(
      /version 0x05 is not one of the accepted versions/,
    );
    // A private key (base58_keys_valid.json) is Base58Check, but no address.
    expect(decodeBase58Check('5Kd3NBUAdUnhyzenEwVLy9pBKxSwXvE9FMPyR4UKZvpe6E3AgLr')).toHaveLength(33);
    expect(() => decodeAddress('5Kd3NBUAdUnhyzenEwVLy9pBKxSwXvE9FMPyR4UKZvpe6E3AgLr')).toThrow(/a version byte and a 20-byte hash/);
    expect(() => addressFromPublicKey(new Uint8Array(32))).toThrow(/a public key is 33 bytes/);
  });
});

describe('CompactSize and var_str', () => {
  const edges: [number | bigint, string][] = [
    [0, '00'],
    [0xfc, 'fc'],
    [0xfd, 'fdfd00'],
    [0xffff, 'fdffff'],
    [0x10000, 'fe00000100'],
    [0xffffffff, 'feffffffff'],
    [2 ** 32, 'ff0000000001000000'],
    [2n ** 64n - 1n, 'ffffffffffffffffff'],
  ];

  it.each(edges)('encodes %s as %s and back, as the core does', (value, hex) => {
    expect(bytesToHex(encodeCompactSize(value))).toBe(hex);
    expect(decodeCompactSize(hexToBytes(hex))).toEqual({ value, size: hex.length / 2 });
    expect(convert(value, 'vint')).toBe(value);
    expect(convert(hexToBytes(hex), 'vint')).toBe(value);
  });

  it.each(['fdfc00', 'fd0000', 'fefeff0000', 'feffff0000', 'ff0000000000000000', 'ffffffffff00000000'])(
    'refuses the non-canonical %s',
    (hex) => {
      expect(() => decodeCompactSize(hexToBytes(hex))).toThrow(/non-canonical/);
      expect(() => convert(hexToBytes(hex), 'vint')).toThrow(/non-canonical/);
    },
  );

  it('refuses truncated encodings and out-of-range values', () => {
    for (const hex of ['', 'fd00', 'fe000001', 'ff00000000010000']) expect(() => decodeCompactSize(hexToBytes(hex))).toThrow();
    expect(() => encodeCompactSize(-1)).toThrow(/0..2\^64-1/);
    expect(() => encodeCompactSize(2n ** 64n)).toThrow(/0..2\^64-1/);
  });

  it('reads a CompactSize inside a message, at an offset', () => {
    expect(decodeCompactSize(hexToBytes('aabbfd0001cc'), 2)).toEqual({ value: 0x100, size: 3 });
  });

  it('writes var_str as a CompactSize length and UTF-8', () => {
    const bytes = encodeVarString('/Satoshi:0.7.2/');
    expect(bytesToHex(bytes)).toBe('0f2f5361746f7368693a302e372e322f');
    expect(decodeVarString(bytes)).toEqual({ value: '/Satoshi:0.7.2/', size: 16 });
    expect(convert(bytes, 'vstr')).toBe('/Satoshi:0.7.2/');
    const long = 'x'.repeat(300);
    expect(bytesToHex(encodeVarString(long).subarray(0, 3))).toBe('fd2c01');
    expect(() => decodeVarString(hexToBytes('0361'))).toThrow(/truncated/);
    expect(() => decodeVarString(hexToBytes('01ff'))).toThrow(/UTF-8/);
  });
});

describe('strict DER signatures (BIP66) with low S', () => {
  // bitcoinjs/bip66 test/fixtures.json "valid": DER, R, S.
  const valid: [string, string, string][] = [
    ['3044022029db2d5f4e1dcc04e19266cce3cb135865784c62ab653b307f0e0bb744f5c2aa022000a97f5826912cac8b44d9f577a26f169a2f8db781f2ddb7de2bc886e93b6844',
      '29db2d5f4e1dcc04e19266cce3cb135865784c62ab653b307f0e0bb744f5c2aa', '00a97f5826912cac8b44d9f577a26f169a2f8db781f2ddb7de2bc886e93b6844'],
    ['304302201ea1fdff81b3a271659df4aad19bc4ef83def389131a36358fe64b245632e777021f29e164658be9ce810921bf81d6b86694785a79ea1e52dbfa5105148d1f0bc1',
      '1ea1fdff81b3a271659df4aad19bc4ef83def389131a36358fe64b245632e777', '29e164658be9ce810921bf81d6b86694785a79ea1e52dbfa5105148d1f0bc1'],
    ['304402201b19519b38ca1e6813cd25649ad36be8bc6a6f2ad9758089c429acd9ce0b572f02203bf32193c8a3a3de1f847cd6e6eebf43c96df1ffa4d7fe920f8f71708920c65f',
      '1b19519b38ca1e6813cd25649ad36be8bc6a6f2ad9758089c429acd9ce0b572f', '3bf32193c8a3a3de1f847cd6e6eebf43c96df1ffa4d7fe920f8f71708920c65f'],
    ['3044022000c8da1836747d05a6a3d2c395825edce827147d15909e66939a5037d5916e6f022017823c2da62f539d7f8e1e186eaea7a401ab3c077dcfc44aeaf3e13fac99bdbc',
      '00c8da1836747d05a6a3d2c395825edce827147d15909e66939a5037d5916e6f', '17823c2da62f539d7f8e1e186eaea7a401ab3c077dcfc44aeaf3e13fac99bdbc'],
    ['3042021e2ff2609c8dc0392d3731a2c6312841e09c76f10b83e2b52604dc84886dd502200090ac80e787c063618192bc04758e6666d0179c377fb2f3d6105d58000f33ac',
      '2ff2609c8dc0392d3731a2c6312841e09c76f10b83e2b52604dc84886dd5', '0090ac80e787c063618192bc04758e6666d0179c377fb2f3d6105d58000f33ac'],
    ['3041021d00feb1a12c27e5fe261acc64c0923add082573883e0800d8e4080fa9bb02202e7aeb97f4046ea3be60d2896a19c8dc269ab5eb2de968912cd52a076a0a42e9',
      '00feb1a12c27e5fe261acc64c0923add082573883e0800d8e4080fa9bb', '2e7aeb97f4046ea3be60d2896a19c8dc269ab5eb2de968912cd52a076a0a42e9'],
    ['3042021d00feb1a12c27e5fe261acc64c0923add082573883e0800d8e4080fa9bb02212e7aeb97f4046ea3be60d2896a19c8dc269ab5eb2de968912cd52a076a0a42e925',
      '00feb1a12c27e5fe261acc64c0923add082573883e0800d8e4080fa9bb', '2e7aeb97f4046ea3be60d2896a19c8dc269ab5eb2de968912cd52a076a0a42e925'],
    ['303e021d00c1d545da2e4edfbc65e9267d3c0a6fdda41793d0fd945f15acbcf0dd021d009acffda3ca5e7c349c35ba606f0a8f1ec7815b653b51695ca9ee69a6',
      '00c1d545da2e4edfbc65e9267d3c0a6fdda41793d0fd945f15acbcf0dd', '009acffda3ca5e7c349c35ba606f0a8f1ec7815b653b51695ca9ee69a6'],
  ];

  it.each(valid)('reads the strict DER %s', (der, r, s) => {
    const sig = hexToBytes(der);
    expect(isStrictDer(sig)).toBe(true);
    expect(decodeDer(sig)).toEqual({ r: BigInt(`0x${r}`), s: BigInt(`0x${s}`) });
  });

  it('tells low S from high S, and the core takes only low S', () => {
    const lowS = valid.filter(([der]) => isLowS(hexToBytes(der))).map(([der]) => der);
    expect(lowS).toEqual(valid.filter((_, i) => i !== 6).map(([der]) => der));  // the 33-byte S is above n/2
    for (const der of lowS) expect(convert(der, 'der_sig')).toBe(der);
    expect(() => convert(valid[6]![0], 'der_sig')).toThrow(/S is high/);
  });

  // bitcoinjs/bip66 test/fixtures.json "invalid.decode".
  const invalid = [
    'ffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    '00ffff0400ffffff020400ffffff', '30ff020400ffffff020400ffffff', '300c030400ffffff030400ffffff0000',
    '300cff0400ffffff020400ffffff', '300c020200ffffff020400ffffff', '30080200020400ffffff', '3008020400ffffff0200',
    '300c02dd00ffffff020400ffffff', '300c020400ffffff02dd00ffffff', '300c020480000000020400ffffff',
    '300c020400ffffff020480000000', '300c02040000ffff020400ffffff', '300c020400ffffff02040000ffff',
  ];

  it.each(invalid)('refuses %s', (der) => {
    expect(isStrictDer(hexToBytes(der))).toBe(false);
    expect(() => decodeDer(hexToBytes(der))).toThrow(/not a strict DER signature/);
    expect(() => convert(der, 'der_sig')).toThrow(/cannot convert str .* to der_sig/);
  });

  it('encodes R and S minimally, and back', () => {
    for (const [der, r, s] of valid.slice(0, 6)) {
      expect(bytesToHex(encodeDer(BigInt(`0x${r}`), BigInt(`0x${s}`)))).toBe(der);
    }
  });
});

describe('Merkle roots', () => {
  const internal = (displayed: string[]) => displayed.map(fromDisplayHex);

  it('of one transaction is its hash (the genesis block)', () => {
    const coinbase = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
    expect(toDisplayHex(merkleRoot(internal([coinbase])))).toBe(coinbase);
  });

  it('of block 100000 (4 transactions)', () => {
    const txids = [
      '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
      'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
      '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
      'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d',
    ];
    expect(toDisplayHex(merkleRoot(internal(txids)))).toBe('f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766');
  });

  it('of 9 transactions, odd hashes paired with themselves at each level', () => {
    const txids = [
      'ef1d870d24c85b89d92ad50f4631026f585d6a34e972eaf427475e5d60acf3a3',
      'f9fc751cb7dc372406a9f8d738d5e6f8f63bab71986a39cf36ee70ee17036d07',
      'db60fb93d736894ed0b86cb92548920a3fe8310dd19b0da7ad97e48725e1e12e',
      '220ebc64e21abece964927322cba69180ed853bb187fbc6923bac7d010b9d87a',
      '71b3dbaca67e9f9189dad3617138c19725ab541ef0b49c05a94913e9f28e3f4e',
      'fe305e1ed08212d76161d853222048eea1f34af42ea0e197896a269fbf8dc2e0',
      '21d2eb195736af2a40d42107e6abd59c97eb6cffd4a5a7a7709e86590ae61987',
      'dd1fd2a6fc16404faf339881a90adbde7f4f728691ac62e8f168809cdfae1053',
      '74d681e0e03bafa802c8aa084379aa98d9fcd632ddc2ed9782b586ec87451f20',
    ];
    expect(toDisplayHex(merkleRoot(internal(txids)))).toBe('2fda58e5959b0ee53c5253da9b9f3c0c739422ae04946966991cf55895287552');
  });

  it('needs hashes', () => {
    expect(() => merkleRoot([])).toThrow(/at least one hash/);
    expect(() => merkleRoot([new Uint8Array(31)])).toThrow(/32 bytes/);
  });
});

describe('signing a node', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = Tree.create();
  });
  afterEach(() => {
    tree.close();
  });

  const secret = hexToBytes('c28a9f80738f770d527803a566cf6fc3edf6cea586c4fc4a5223a5ad797e1ac3');

  it('verifies a signature of its content, and refuses it once the content changes', () => {
    tree.set('doc', { title: 'grove', n: 1, at: [1, 2, 3] });
    tree.set('doc/at', [1, 2, 3], 'vec3');
    const doc = tree.node('doc');
    const publicKey = publicKeyOf(secret);
    const signature = signNode(doc, secret);
    expect(isStrictDer(hexToBytes(signature)) && isLowS(hexToBytes(signature))).toBe(true);
    expect(convert(signature, 'der_sig')).toBe(signature);
    expect(verifyNode(doc, signature, publicKey)).toBe(true);
    expect(verifyNode(doc, signature, publicKeyOf(secret, false))).toBe(true);  // the same key, uncompressed

    tree.set('doc/n', 2);  // the tampered message
    expect(verifyNode(doc, signature, publicKey)).toBe(false);
    tree.set('doc/n', 1);
    expect(verifyNode(doc, signature, publicKey)).toBe(true);
  });

  it('refuses another key, a tampered signature and the high-S twin of a valid one', () => {
    tree.set('doc', { x: 1 });
    const doc = tree.node('doc');
    const signature = hexToBytes(signNode(doc, secret));
    const otherKey = publicKeyOf(hexToBytes('01'.repeat(32)));
    expect(verifyNode(doc, signature, otherKey)).toBe(false);
    const flipped = Uint8Array.from(signature);
    flipped[10]! ^= 1;
    expect(verifyNode(doc, flipped, publicKeyOf(secret))).toBe(false);
    const { r, s } = decodeDer(signature);
    const highS = encodeDer(r, 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - s);
    expect(isLowS(highS)).toBe(false);
    expect(verifyNode(doc, highS, publicKeyOf(secret))).toBe(false);
  });

  it('moves with the content, not the place: a copy verifies', () => {
    tree.set('a', { x: 'text' });
    tree.set('a/v', [1.5, 2], 'vec2');
    const signature = signNode(tree.node('a'), secret);
    tree.set('elsewhere/b', { x: 'text' });
    tree.set('elsewhere/b/v', [1.5, 2], 'vec2');
    expect(verifyNode(tree.node('elsewhere/b'), signature, publicKeyOf(secret))).toBe(true);
  });
});
