/**
 * A small inventory with real Vietnamese place names, diacritics and all: two provinces
 * with districts and communes, so scope tests have a "province next door".
 */
export const TEST_INVENTORY = {
  data: [
    {
      level1_id: '01',
      name: 'Thành phố Hà Nội',
      level2s: [
        { level2_id: '001', name: 'Quận Ba Đình', level3s: [{ level3_id: '00001', name: 'Phường Phúc Xá' }, { level3_id: '00004', name: 'Phường Trúc Bạch' }] },
        { level2_id: '002', name: 'Quận Hoàn Kiếm', level3s: [{ level3_id: '00037', name: 'Phường Phúc Tân' }] },
      ],
    },
    {
      level1_id: '79',
      name: 'Thành phố Hồ Chí Minh',
      level2s: [{ level2_id: '760', name: 'Quận 1', level3s: [{ level3_id: '26734', name: 'Phường Tân Định' }] }],
    },
  ],
};

export const HANOI_COMMUNE = '01/001/00001';
export const HANOI_COMMUNE_2 = '01/002/00037';
export const HCMC_COMMUNE = '79/760/26734';
